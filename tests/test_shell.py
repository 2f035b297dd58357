"""`rasa shell` works end to end: a person types a question and reads the answer."""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pexpect
import pytest

from tools.stack import LAUNCH, free_port, write_endpoints

ROOT = Path(__file__).resolve().parents[1]
MODEL = ROOT / "models" / "current.tar.gz"

pytestmark = pytest.mark.model


def words(text: str, count: int) -> re.Pattern[str]:
    """The first ``count`` words of ``text``, allowing any spacing or line break between them."""
    return re.compile(r"\s+".join(re.escape(w) for w in text.split()[:count]))


def test_shell_answers_a_side_effect_question_with_its_answer_and_sources(library, tmp_path):
    assert MODEL.exists(), "train first: make train"
    action_port = free_port()
    env = {
        **os.environ,
        "ACTION_PORT": str(action_port),
        "RASA_PORT": str(free_port()),
        "LOG_DIR": str(tmp_path),
        "RASA_TELEMETRY_ENABLED": "false",
        "TERM": "xterm",
    }
    endpoints = write_endpoints(tmp_path, action_port)
    command = [*LAUNCH[1:], "shell", "-m", str(MODEL), "--endpoints", str(endpoints)]
    shell = pexpect.spawn(
        LAUNCH[0], command, cwd=ROOT, env=env, encoding="utf-8", timeout=240, dimensions=(60, 400)
    )
    shell.logfile_read = sys.stdout
    try:
        shell.expect("Bot loaded")
        shell.sendline("does ketamine cause nausea?")
        nausea = library.unit("nausea_and_vomiting")
        assert nausea is not None
        shell.expect(words(library.messages["disclaimer"]["us"], 6), timeout=60)
        shell.expect(words(nausea.answer, 6), timeout=60)
        shell.expect(re.escape(library.message("sources_heading")), timeout=10)
    finally:
        shell.sendcontrol("c")
        shell.close(force=True)
