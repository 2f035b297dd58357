"""The layout's promises: the core needs no Rasa, and the product needs no tooling or tests."""

from __future__ import annotations

import ast
import subprocess
import sys

from tools.stack import ROOT

PRODUCT = [ROOT / "bot", ROOT / "actions"]

IMPORT_ALL_OF_CORE = """
import importlib, pkgutil, sys
import bot.core
for module in pkgutil.walk_packages(bot.core.__path__, "bot.core."):
    importlib.import_module(module.name)
print(sorted({m.split(".")[0] for m in sys.modules} & {"rasa", "rasa_sdk", "tools", "tests"}))
"""


def imported_packages(path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def test_the_core_loads_without_rasa_or_tooling() -> None:
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL_OF_CORE],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stdout.strip() == "[]", done.stdout


def test_no_product_module_imports_tooling_or_tests() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in PRODUCT
        for path in folder.rglob("*.py")
        if "node_modules" not in path.parts and imported_packages(path) & {"tools", "tests"}
    ]
    assert offenders == []
