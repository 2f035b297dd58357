"""Rasa's command line with the project's patches: what it sets before Rasa starts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bot.server.rasa_cli import use_one_blas_thread

ROOT = Path(__file__).resolve().parents[1]


def test_the_server_asks_for_one_blas_thread() -> None:
    environ: dict[str, str] = {}
    use_one_blas_thread(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "1"}


def test_an_operator_setting_wins() -> None:
    environ = {"OPENBLAS_NUM_THREADS": "2"}
    use_one_blas_thread(environ)
    assert environ == {"OPENBLAS_NUM_THREADS": "2"}


def test_importing_the_command_line_loads_no_numpy_before_the_setting() -> None:
    # OpenBLAS reads its thread count once, when numpy first loads it.
    code = "import sys, bot.server.rasa_cli; print('numpy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
