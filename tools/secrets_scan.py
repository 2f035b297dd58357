"""Find secrets in the repository's files before they are pushed.

Scans every file git would commit (tracked, plus new files that are not
ignored) for Slack tokens, webhooks and signing secrets, AWS access key ids,
private key blocks, GitHub tokens and ``password``/``token``/``secret``
assignments with a literal value. Environment placeholders (``${DB_PASSWORD}``,
``$TOKEN``) and elisions (``...``, ``<password>``) are not secrets. A line with
``pragma: allowlist secret`` (detect-secrets' marker) is skipped: use it for test
fixtures only. Findings name the file, line and kind, never the value.

Run ``python -m tools.secrets_scan``; ``tests/test_no_secrets.py`` runs it too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

ROOT = Path(__file__).resolve().parents[1]
ALLOW = "pragma: allowlist secret"

# Specific token shapes, checked first: a line is reported once, under its first rule.
RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("Slack token", re.compile(r"\bxox[abprs]-[0-9A-Za-z-]{10,}")),
    ("Slack webhook URL", re.compile(r"hooks\.slack\.com/services/T[0-9A-Za-z]+/B[0-9A-Za-z]+/")),
    (
        "Slack signing secret",
        re.compile(r"(?i)signing[_-]?secret[\"']?\s*[:=]\s*[\"']?[0-9a-f]{32}\b"),
    ),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    (
        "GitHub token",
        re.compile(r"\b(?:gh[pousr]_[0-9A-Za-z]{36,}|github_pat_[0-9A-Za-z_]{22,})\b"),
    ),
)
ASSIGNMENT_RULE = "password, token or secret with a literal value"
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?<![\w.-])[\w.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key)
    [\"']?\s*
    (?: : \s* [\w.\[\],|\ ]+? \s* = (?!=)   # a Python annotation: token: str = "..."
      | [?:+]? = (?!=)                      # =, and make's := ?= +=
      | : )
    \s*(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s#,;]+)
    """
)
# Where a value without quotes is a literal. In code it is an expression
# (``password=env.get("DB_PASSWORD")``, ``token: str``), so there only quoted values count.
_BARE_VALUE_SUFFIXES = frozenset(
    ".yml .yaml .ini .cfg .conf .toml .properties .env .sh .bash .md .txt".split()
)
_BARE_VALUE_NAMES = frozenset({"Makefile", "Dockerfile", ".env"})
_PLACEHOLDER = re.compile(
    r"""(?ix) ^(?: | \$.* | .*\$\{.* | \{\{.*\}\} | <.* | [.*x]+
               | null | none | nil | ~ | true | false )$"""
)


@dataclass(frozen=True)
class Finding:
    """A likely secret: where it is and what kind, never its value."""

    path: str
    line: int
    rule: str

    def __str__(self) -> str:
        """``path:line: rule``, as compilers report."""
        return f"{self.path}:{self.line}: {self.rule}"


def _bare_values_count(path: str) -> bool:
    name = PurePosixPath(path).name
    return (
        PurePosixPath(path).suffix.lower() in _BARE_VALUE_SUFFIXES
        or name in _BARE_VALUE_NAMES
        or name.startswith(".env")
    )


def _literal_assignment(line: str, bare_values_count: bool) -> bool:
    for match in _ASSIGNMENT.finditer(line):
        value = match["value"]
        quoted = value[0] in "\"'"
        if not quoted and not bare_values_count:
            continue
        if not _PLACEHOLDER.match(value[1:-1] if quoted else value):
            return True
    return False


def scan_text(text: str, path: str = "") -> list[Finding]:
    """The likely secrets in one file's text; ``path`` names it and sets its kind."""
    bare = _bare_values_count(path)
    findings = []
    for number, line in enumerate(text.splitlines(), start=1):
        if ALLOW in line:
            continue
        rule = next((name for name, pattern in RULES if pattern.search(line)), None)
        if rule is None and _literal_assignment(line, bare):
            rule = ASSIGNMENT_RULE
        if rule is not None:
            findings.append(Finding(path, number, rule))
    return findings


def repository_files(root: Path = ROOT) -> list[str]:
    """Every file git would commit: tracked ones and new ones that are not ignored."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        capture_output=True,
        check=True,
    ).stdout
    return sorted({p for p in listed.decode("utf-8").split("\0") if p})


def scan_files(paths: Iterable[str], root: Path = ROOT) -> list[Finding]:
    """The likely secrets in the given files (relative to ``root``); binary files are skipped."""
    findings: list[Finding] = []
    for path in paths:
        file = root / path
        if not file.is_file():  # deleted in the working tree, still in the index
            continue
        data = file.read_bytes()
        if b"\0" in data[:8192]:
            continue
        findings += scan_text(data.decode("utf-8", errors="replace"), path)
    return findings


def main(argv: Sequence[str] | None = None) -> None:
    """Print the findings in the repository (or the given files); exit 1 when there are any."""
    paths = list(argv) if argv else repository_files()
    findings = scan_files(paths)
    for finding in findings:
        print(finding)
    if findings:
        sys.exit(f"{len(findings)} likely secret(s); move them to the environment or a vault")
    print(f"No secrets found in {len(paths)} files.")


if __name__ == "__main__":
    main(sys.argv[1:])
