"""Answer composition: turn an answer unit, or a topic and its entities, into a reply.

Pure functions over :mod:`bot.core.content`; channels and actions only render the
:class:`Reply` they get back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.content import AnswerUnit, Library, Source, Topic

MORE_PAYLOAD = "/ask_more"
SHOWN_SOURCES = 2
RELATED_BUTTONS = 3


@dataclass(frozen=True)
class Button:
    """A suggested reply the user can tap; ``payload`` is a Rasa intent payload."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One bot message: the text a person reads, its buttons and the sources it names."""

    text: str
    buttons: tuple[Button, ...] = ()
    sources: tuple[Source, ...] = ()


def sources_line(heading: str, sources: Sequence[Source]) -> str:
    """One closing line naming where an answer comes from, as Markdown links.

    The web page shows them as links, Slack as mrkdwn links, and REST sends them as
    data too (:mod:`bot.channels.rest`).
    """
    return f"{heading} " + ", ".join(f"[{s.title}]({s.url})" for s in sources)


MARKDOWN_LINK = re.compile(r"\[(?P<title>[^\]]+)\]\((?P<url>https://[^)\s]+)\)")


def sources_in(text: str, heading: str) -> list[dict[str, str]]:
    """The sources named by a reply's sources line, as ``{"title", "url"}`` mappings."""
    for line in reversed(text.splitlines()):
        if line.startswith(f"{heading} "):
            return [{"title": m["title"], "url": m["url"]} for m in MARKDOWN_LINK.finditer(line)]
    return []


def unit_payload(unit: AnswerUnit) -> str:
    """The button payload that asks for one unit: its topic's intent with the unit id."""
    return f'/{unit.topic}{{"unit": "{unit.id}"}}'


def unit_buttons(unit_ids: Sequence[str], library: Library) -> tuple[Button, ...]:
    """A button per unit, titled with the question it answers."""
    units = (library.unit(u) for u in unit_ids)
    return tuple(Button(u.question, unit_payload(u)) for u in units if u is not None)


def provider_line(library: Library, contact: bool = True) -> str:
    """Ask your care team; with how to reach the clinic's, when there is one."""
    line = library.message("provider_line")
    reach = library.clinic.contact() if library.clinic and contact else ""
    return f"{line} {reach}" if reach else line


def answer_unit(unit: AnswerUnit, library: Library, personal: bool = False) -> Reply:
    """The unit's answer with its clinic details, the provider line if personal, sources.

    The buttons offer the related questions; "tell me more" gives the first of them.
    """
    parts = [unit.answer]
    if library.clinic and unit.clinic:
        parts.append(library.clinic.details(unit.clinic))
    if personal or unit.personal_decision:
        parts.append(provider_line(library, contact="contact" not in unit.clinic))
    shown = unit.sources[:SHOWN_SOURCES]
    if shown:  # an answer that holds only elsewhere is replaced by a sourceless note
        parts.append(sources_line(library.message("sources_heading"), shown))
    buttons = unit_buttons(unit.related[:RELATED_BUTTONS], library)
    return Reply("\n\n".join(parts), buttons, shown)


def _buttons_on_last(replies: list[Reply]) -> list[Reply]:
    """Several replies to one message: only the last keeps its buttons."""
    return [Reply(r.text, (), r.sources) for r in replies[:-1]] + replies[-1:]


def answer_units(unit_ids: Sequence[str], library: Library, personal: bool = False) -> list[Reply]:
    """One reply per unit asked about (a message may ask several); only the last keeps buttons."""
    return _buttons_on_last(
        [answer_unit(u, library, personal) for u in map(library.unit, unit_ids) if u]
    )


def no_good_answer(suggestions: Sequence[str], region: str | None, library: Library) -> Reply:
    """An honest "I don't have a good answer", with the care-team and crisis lines."""
    _, text = library.regional_message("no_good_answer", region)
    contact = library.clinic.contact() if library.clinic else ""
    if contact:
        text = f"{text}\n\n{contact}"
    if suggestions:
        text = f"{text}\n\n{library.message('closest_offer')}"
    return Reply(text, unit_buttons(suggestions, library))


def _follow_up_buttons(topic: Topic) -> tuple[Button, ...]:
    return tuple(_intent_button(f.title, f.intent) for f in topic.follow_ups)


def _close(body: str, topic: Topic, library: Library) -> Reply:
    parts = [body]
    if topic.personal_decision:
        parts.append(provider_line(library))
    shown = topic.sources[:SHOWN_SOURCES]
    if shown:
        parts.append(sources_line(library.message("sources_heading"), shown))
    return Reply("\n\n".join(parts), _follow_up_buttons(topic), shown)


def answer_topic(topic: Topic, entities: Sequence[tuple[str, str]], library: Library) -> Reply:
    """The short answer, or the sections for the entities asked about, then sources."""
    sections = topic.sections_for(entities)
    body = "\n\n".join(s.text for s in sections) if sections else topic.summary
    reply = _close(body, topic, library)
    more = Button(library.message("more_button"), MORE_PAYLOAD)
    return Reply(reply.text, (more, *reply.buttons), reply.sources)


def answer_topics(
    topics: Sequence[Topic], entities: Sequence[tuple[str, str]], library: Library
) -> list[Reply]:
    """One reply per topic asked about; only the last keeps its buttons.

    "Tell me more" then continues the last topic, which is the one remembered.
    """
    return _buttons_on_last([answer_topic(topic, entities, library) for topic in topics])


def answer_more(topic: Topic, library: Library) -> Reply:
    """The deeper "tell me more" layer of a topic, then sources (if it has one)."""
    if not topic.more:
        return more_exhausted(topic, library)
    return _close(topic.more, topic, library)


def more_exhausted(topic: Topic, library: Library) -> Reply:
    """What to say when the deeper layer of a topic was already given."""
    text = library.message("more_exhausted").format(title=topic.title.lower())
    return Reply(text, _follow_up_buttons(topic))


def _starter_buttons(library: Library) -> tuple[Button, ...]:
    starters = (library.topics[i] for i in library.messages["starter_topics"])
    return tuple(_intent_button(t.title, t.intent) for t in starters)


def _intent_button(title: str, intent: str) -> Button:
    return Button(title, f"/{intent}")


def no_topic(library: Library) -> Reply:
    """What to say to "tell me more" before any topic came up."""
    return Reply(library.message("no_topic"), _starter_buttons(library))


def no_more_related(library: Library) -> Reply:
    """What to say to "tell me more" once every related question was answered."""
    return Reply(library.message("no_more_related"), _starter_buttons(library))
