"""Clinician sign-off from the command line, and the review packet.

    python -m tools.signoff packet [--out reports/review-packet.html]
    python -m tools.signoff sign --role psychiatrist [--packet PACKET] ANSWER... | --all-in-packet
    python -m tools.signoff pending ANSWER...
    python -m tools.signoff check

The packet is one HTML page with every answer that is new, pending or changed since
its sign-off: the text as a patient reads it, its sources as links, its readability
scores and, when it was signed off before, what changed since. Each answer shows the
first characters of its digest and the command that signs it off.

A sign-off records only text the reviewer read: each ANSWER is ``id=<digest>`` as the
packet shows it, or a bare ``id`` whose digest is read from the packet file
(``--packet``, also for ``--all-in-packet``). An answer whose digest differs now is
refused, and then nothing is signed off. There is no sign-off without a digest.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import re
import sys
from collections.abc import Mapping, Sequence
from html import escape, unescape
from pathlib import Path

from bot.core.content import CONTENT_DIR, Library, load_library
from bot.core.signoff import (
    SHORT,
    SIGNOFF_FILE,
    Answer,
    Record,
    mark_pending,
    problems,
    read_records,
    sign_off,
    status,
    to_review,
    write_records,
)
from bot.quality.content_gates import Policy, load_policy, readability
from tools.content_report import CSS, ROOT, scores, source_items

DEFAULT_OUT = ROOT / "reports" / "review-packet.html"
PACKET_CSS = "del { background: #ffe3e3; } ins { background: #e3f9e5; text-decoration: none; }"
# Each card carries its answer's whole digest, which `sign --packet` reads back.
CARD = re.compile(r'<section class="card" id="([^"]*)" data-sha256="([0-9a-f]{64})">')


def changes(before: str, after: str) -> str:
    """``after`` as HTML, the words removed since ``before`` struck out, new ones marked."""
    old, new = before.split(), after.split()
    parts = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(a=old, b=new).get_opcodes():
        if op == "equal":
            parts.append(escape(" ".join(old[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(' '.join(old[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(' '.join(new[j1:j2]))}</ins>")
    return " ".join(parts)


def _answer(answer: Answer, record: Record | None, policy: Policy) -> str:
    if record is not None and record.role:
        last = f"last signed off by {escape(record.role)} on {escape(str(record.date))}"
        changed = (
            "<p><strong>What changed since then</strong></p>"
            f'<div class="bubble">{changes(record.text, answer.text)}</div>'
            if record.text != answer.text
            else "<p>The text is as it was signed off; its sources changed, or it was "
            "marked pending.</p>"
        )
    else:
        last, changed = "never signed off", ""
    provider = (
        '<p class="muted">The "talk to your care team" line follows this answer.</p>'
        if answer.personal
        else ""
    )
    short = answer.digest[:SHORT]
    return (
        f'<section class="card" id="{escape(answer.id, quote=True)}" '
        f'data-sha256="{answer.digest}"><h3>{escape(answer.title)}</h3>'
        f'<p class="muted">{escape(answer.id)}: {status(answer, record)}, {last}; '
        f"digest <code>{short}</code></p>"
        f"<p>{scores(readability(answer.text), policy)}</p>"
        f'<div class="bubble">{escape(answer.text)}</div>{provider}{changed}'
        f"<p><strong>Sources</strong></p><ul>{source_items(answer.sources, policy)}</ul>"
        f'<p class="muted">To approve it: <code>make sign-off ROLE=&lt;your role&gt; '
        f"ANSWERS={escape(answer.id)}={short}</code></p></section>"
    )


def build_packet(
    library: Library, records: Mapping[str, Record], policy: Policy, today: dt.date
) -> str:
    """The review packet as one HTML page."""
    waiting = to_review(library, records)
    body = "".join(_answer(a, records.get(a.id), policy) for a in waiting)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>Review packet</title><style>{CSS}{PACKET_CSS}</style></head><body><main>"
        "<h1>Review packet</h1>"
        f'<p class="muted">{len(waiting)} answers wait for a clinician\'s sign-off: new, '
        f"pending, or changed since it. Generated {today.isoformat()}.</p>"
        "<p>Each command names the digest of the answer as this page shows it: if the "
        "answer changes before you run it, the sign-off is refused. <code>make sign-off "
        "ROLE=&lt;your role&gt; ANSWERS=all</code> signs off every answer on this page, as "
        "it shows them.</p>"
        f"{body}</main></body></html>\n"
    )


def packet_digests(path: Path) -> dict[str, str]:
    """The digest of each answer in the review packet at ``path``, as the reviewer read it."""
    if not path.exists():
        raise ValueError(
            f"no review packet at {path}: build it (make review-packet) and read it first"
        )
    html = path.read_text(encoding="utf-8")
    return {unescape(key): digest for key, digest in CARD.findall(html)}


def read_digests(names: Sequence[str], packet: Path, everything: bool) -> dict[str, str]:
    """Each answer to sign off, with the digest of the text the reviewer read.

    ``id=<digest>`` names it; a bare ``id``, and every answer if ``everything``, takes it
    from the packet. Regional ids hold an ``@``, never an ``=``.
    """
    pairs = [name.partition("=") for name in names]
    bare = [key for key, sep, _ in pairs if not sep]
    shown = packet_digests(packet) if bare or everything else {}
    missing = [key for key in bare if key not in shown]
    if missing:
        raise ValueError(
            f"not in the review packet {packet}, so not read there: {', '.join(missing)}; "
            "build it again (make review-packet) or give id=<digest>"
        )
    read = dict(shown) if everything else {key: shown[key] for key in bare}
    return {**read, **{key: digest for key, sep, digest in pairs if sep}}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one sign-off command; its exit code."""
    parser = argparse.ArgumentParser(prog="python -m tools.signoff", description=__doc__)
    parser.add_argument("--content", type=Path, default=CONTENT_DIR, help=argparse.SUPPRESS)
    commands = parser.add_subparsers(dest="command", required=True)
    packet = commands.add_parser("packet", help="write the review packet (HTML)")
    packet.add_argument("--out", type=Path, default=DEFAULT_OUT)
    sign = commands.add_parser("sign", help="sign answers off as the reviewer read them")
    sign.add_argument("--role", required=True, help="the reviewer's role, never a name")
    sign.add_argument("--packet", type=Path, default=DEFAULT_OUT, help="the packet read")
    sign.add_argument("--all-in-packet", action="store_true", help="every answer in the packet")
    sign.add_argument("answers", nargs="*", metavar="ID[=DIGEST]")
    pending = commands.add_parser("pending", help="mark answers pending review again")
    pending.add_argument("answers", nargs="+")
    commands.add_parser("check", help="list answers changed after their sign-off")
    args = parser.parse_args(argv)

    library, policy = load_library(args.content), load_policy(args.content)
    path = args.content / SIGNOFF_FILE.name
    records = read_records(path)
    try:
        if args.command == "packet":
            args.out.parent.mkdir(parents=True, exist_ok=True)
            args.out.write_text(build_packet(library, records, policy, dt.date.today()))
            print(f"Wrote {args.out}: {len(to_review(library, records))} answers to review")
        elif args.command == "sign":
            roles = sorted(r for r in policy.reviewer_roles if "pending" not in r)
            if args.role not in roles:
                raise ValueError(f"role {args.role!r} is not one of: {', '.join(roles)}")
            read = read_digests(args.answers, args.packet, args.all_in_packet)
            if not read:
                raise ValueError("name the answers to sign off, or give --all-in-packet")
            write_records(sign_off(library, records, read, args.role, dt.date.today()), path)
            print(f"Signed off {len(read)} answers as {args.role}, as they were read")
        elif args.command == "pending":
            write_records(mark_pending(library, records, args.answers), path)
            print(f"Marked {len(args.answers)} answers pending review")
        else:
            found = problems(library, records)
            print("\n".join(found) or "Every sign-off matches its answer")
            return 1 if found else 0
    except ValueError as error:
        print(f"ERROR {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
