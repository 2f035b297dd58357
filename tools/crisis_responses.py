"""Write the Rasa responses that name a crisis line into domain.yml, from one source.

``content/crisis_responses.yml`` holds them in Rasa's own format, each line named as
``{{crisis}}``, ``{{emergency}}``, ... (``content/crisis_lines.yml``, the one place the
numbers are written). Rasa must send these responses, the crisis cards above all,
with the action server down, so ``domain.yml`` holds them filled in, each variation
with the lines of its region, between the two marker lines below. This writes that
block; ``tests/test_crisis_lines.py`` fails while it is out of date.

Run: ``python -m tools.crisis_responses`` (``--check``: only say whether it is).
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from bot.core.clinic import HOME_REGION
from bot.core.content import CONTENT_DIR
from bot.core.crisis_lines import RegionLines, default_lines, fill
from bot.core.yaml_files import read_yaml

ROOT = Path(__file__).resolve().parents[1]
DOMAIN_FILE = ROOT / "domain.yml"
TEMPLATES_FILE = CONTENT_DIR / "crisis_responses.yml"
BEGIN = (
    "  # BEGIN crisis responses: written by `python -m tools.crisis_responses` from\n"
    "  # content/crisis_responses.yml and content/crisis_lines.yml; edit those, not this.\n"
)
END = "  # END crisis responses\n"


class _Dumper(yaml.SafeDumper):
    """Rasa's layout: lists indented under their key, texts of several lines as ``|-``."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        """Indent a list under its key, as domain.yml does."""
        super().increase_indent(flow, False)

    def ignore_aliases(self, data: Any) -> bool:
        """Write shared buttons out in full: no anchors in generated text."""
        return True


def _text(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    )


_Dumper.add_representer(str, _text)


def variation_region(variation: Mapping[str, Any]) -> str:
    """The region a variation is sent in: its ``region`` slot condition, else the home one."""
    for condition in variation.get("condition") or []:
        if condition.get("type") == "slot" and condition.get("name") == "region":
            return str(condition["value"])
    return HOME_REGION


def filled(
    templates: Mapping[str, Sequence[Mapping[str, Any]]], lines: Mapping[str, RegionLines]
) -> dict[str, list[dict[str, Any]]]:
    """The responses with each variation's text filled in with its region's lines."""
    return {
        name: [
            {**v, "text": fill(v["text"], variation_region(v), lines)} if "text" in v else dict(v)
            for v in variations
        ]
        for name, variations in templates.items()
    }


def render(templates: Mapping[str, Any], lines: Mapping[str, RegionLines]) -> str:
    """The block for domain.yml: the filled responses under ``responses:``, with markers."""
    body = yaml.dump(
        filled(templates, lines), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=4096
    )
    indented = "".join(f"  {line}" if line.strip() else line for line in body.splitlines(True))
    return BEGIN + indented + END


def current_block(domain_text: str) -> str:
    """The block as domain.yml has it now (empty when the markers are missing)."""
    start, end = domain_text.find(BEGIN), domain_text.find(END)
    return domain_text[start : end + len(END)] if 0 <= start < end else ""


def main(argv: Sequence[str] | None = None) -> None:
    """Rewrite the block in domain.yml, or with ``--check`` exit 1 when it is out of date."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only check; write nothing")
    args = parser.parse_args(argv)
    domain = DOMAIN_FILE.read_text(encoding="utf-8")
    old = current_block(domain)
    if not old:
        raise SystemExit(
            f"error: {DOMAIN_FILE.name} has no '{BEGIN.splitlines()[0].strip()}' block"
        )
    new = render(read_yaml(TEMPLATES_FILE)["responses"], default_lines())
    if args.check:
        if old != new:
            raise SystemExit("domain.yml is out of date: run python -m tools.crisis_responses")
        return
    DOMAIN_FILE.write_text(domain.replace(old, new), encoding="utf-8")


if __name__ == "__main__":
    main()
