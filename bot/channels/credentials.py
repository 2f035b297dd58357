"""Join credentials files into the one file ``rasa run --credentials`` reads.

The texts are joined as written, so ``${VAR}`` references stay for Rasa to expand at
start (a YAML round trip could quote them, and Rasa expands only plain scalars).
Each file must be a mapping of channels, and no channel may appear twice.

Run: ``python -m bot.channels.credentials credentials.yml credentials.slack.yml``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

HEADER = "# Written by `python -m bot.channels.credentials` from: {names}\n"


class CredentialsError(ValueError):
    """Raised when a credentials file is not a mapping or repeats a channel."""


def merge(named_texts: Sequence[tuple[str, str]]) -> str:
    """One credentials text from (name, text) pairs, checked for repeated channels."""
    seen: dict[str, str] = {}
    for name, text in named_texts:
        channels = yaml.safe_load(text) or {}
        if not isinstance(channels, dict):
            raise CredentialsError(f"{name}: expected a mapping of channels")
        for channel in channels:
            if channel in seen:
                raise CredentialsError(f"{name}: channel {channel!r} is also in {seen[channel]}")
            seen[channel] = name
    header = HEADER.format(names=", ".join(name for name, _ in named_texts))
    return header + "\n".join(text.rstrip("\n") + "\n" for _, text in named_texts)


def main(argv: Sequence[str] | None = None) -> None:
    """Print the joined credentials of the files named on the command line."""
    paths = [Path(p) for p in (sys.argv[1:] if argv is None else argv)]
    if not paths:
        sys.exit("usage: python -m bot.channels.credentials FILE [FILE...]")
    try:
        sys.stdout.write(merge([(str(p), p.read_text(encoding="utf-8")) for p in paths]))
    except (OSError, CredentialsError, yaml.YAMLError) as exc:
        sys.exit(f"error: {exc}")


if __name__ == "__main__":
    main()
