"""No file git would commit holds a secret, and the scan does find planted ones."""

from __future__ import annotations

import subprocess

import pytest

from tools.secrets_scan import (
    ASSIGNMENT_RULE,
    repository_files,
    scan_files,
    scan_text,
)


def planted(text: str) -> str:
    """The text without its § marks: they keep this file's own source from matching."""
    return text.replace("§", "")


def test_no_file_git_would_commit_holds_a_secret():
    findings = scan_files(repository_files())
    assert not findings, "likely secrets:\n" + "\n".join(map(str, findings))


@pytest.mark.parametrize(
    ("text", "path", "rule"),
    [
        ("slack_token: xo§xb-123456789012-1234567890123-AbCdEfGhIjKl", "c.yml", "Slack token"),
        ("url = 'https://hooks.slack§.com/services/T0001/B0001/abc'", "a.py", "Slack webhook URL"),
        ("  slack_signing_sec§ret: " + "0123456789abcdef" * 2, "credentials.yml", "Slack signing"),
        ("aws_key_id = AK§IAIOSFODNN7EXAMPLE", "settings.ini", "AWS access key id"),
        ("-----BEGIN RSA PRIV§ATE KEY-----", "deploy/id_rsa", "private key"),
        ("-----BEGIN OPENSSH PRIV§ATE KEY-----", "notes.txt", "private key"),
        ("GH = 'gh§p_" + "a1B2c3D4e5" * 4 + "'", "ci.py", "GitHub token"),
        ("  pass§word: hunter2hunter2", "endpoints.yml", ASSIGNMENT_RULE),
        ('    "DB_PASS§WORD": "hunter2",', "tests/test_x.py", ASSIGNMENT_RULE),
        ('tok§en = "abc123"', "bot/x.py", ASSIGNMENT_RULE),
        ('pass§word: str = "hunter2"', "bot/x.py", ASSIGNMENT_RULE),
        ("export API_TOK§EN=abc123", "run.sh", ASSIGNMENT_RULE),
        ("DB_PASS§WORD ?= hunter2", "Makefile", ASSIGNMENT_RULE),
    ],
)
def test_a_planted_secret_is_found(text, path, rule):
    findings = scan_text("first: line\n" + planted(text) + "\n", path)
    assert [(f.path, f.line) for f in findings] == [(path, 2)]
    assert findings[0].rule.startswith(rule)


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("  pass§word: ${DB_PASSWORD}", "endpoints.yml"),
        ('"pass§word": "${DB_PASSWORD}",', "bot/server/endpoints.py"),
        ('export DB_PASS§WORD="$DB_PASSWORD"', "run.sh"),
        ("TRACKER_STORE=postgres DB_PASS§WORD=... make run", "README.md"),
        ("  pass§word: <your password>", "docs/setup.md"),
        ("  pass§word:", "endpoints.yml"),
    ],
)
def test_a_placeholder_is_not_a_secret(text, path):
    assert scan_text(planted(text), path) == []


@pytest.mark.parametrize(
    "text",
    [
        'pass§word=env.get("DB_PASSWORD"),',
        "pass§word: Optional[str] = None",
        "tok§en: str",
        "if tok§en == 'x':",
    ],
)
def test_code_that_handles_a_password_is_not_a_secret(text):
    assert scan_text(planted(text), "bot/x.py") == []


@pytest.mark.parametrize(
    "text", ["  - name: SpacyTokenizer", "tokenizer: whitespace", "max_tokens: 100"]
)
def test_words_that_only_contain_token_are_not_keys(text):
    assert scan_text(text, "config.yml") == []


def test_a_line_marked_as_allowed_is_skipped():
    text = planted('"DB_PASS§WORD": "s3cret",  # pragma: allowlist secret')
    assert scan_text(text, "tests/test_x.py") == []


def test_a_finding_names_file_line_and_kind_but_never_the_value():
    (finding,) = scan_text(planted("pass§word: hunter2hunter2"), "endpoints.yml")
    assert str(finding) == f"endpoints.yml:1: {ASSIGNMENT_RULE}"
    assert "hunter2" not in repr(finding)


def test_binary_files_are_skipped(tmp_path):
    (tmp_path / "model.bin").write_bytes(b"\0\1" + planted("AK§IAIOSFODNN7EXAMPLE").encode())
    assert scan_files(["model.bin"], root=tmp_path) == []


def test_new_files_that_git_does_not_ignore_are_scanned_too(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text(".rasa-data/\n")
    (tmp_path / "new.yml").write_text("a: 1\n")
    (tmp_path / ".rasa-data").mkdir()
    (tmp_path / ".rasa-data" / "tracker.db").write_text("x")
    assert repository_files(tmp_path) == [".gitignore", "new.yml"]
