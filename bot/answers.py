"""Answer composition: turn a topic and the entities asked about into a reply.

Pure functions over :mod:`bot.content`; channels and actions only render the
:class:`Reply` they get back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from bot.content import Library, Source, Topic

MORE_PAYLOAD = "/ask_more"


@dataclass(frozen=True)
class Button:
    """A suggested reply the user can tap; ``payload`` is a Rasa intent payload."""

    title: str
    payload: str


@dataclass(frozen=True)
class Reply:
    """One bot message: the text a person reads (sources included) and its buttons."""

    text: str
    buttons: tuple[Button, ...] = ()


def format_sources(heading: str, sources: Sequence[Source]) -> str:
    """The closing lines that say where an answer comes from, one source a line."""
    lines = [heading] + [f"- {s.publisher}: {s.title} ({s.url})" for s in sources]
    return "\n".join(lines)


def _follow_up_buttons(topic: Topic) -> tuple[Button, ...]:
    return tuple(Button(f.title, f"/{f.intent}") for f in topic.follow_ups)


def _close(body: str, topic: Topic, library: Library) -> str:
    parts = [body]
    if topic.personal_decision:
        parts.append(library.message("provider_line"))
    parts.append(format_sources(library.message("sources_heading"), topic.sources))
    return "\n\n".join(parts)


def answer_topic(topic: Topic, entities: Sequence[tuple[str, str]], library: Library) -> Reply:
    """The short answer, or the sections for the entities asked about, then sources."""
    sections = topic.sections_for(entities)
    body = "\n\n".join(s.text for s in sections) if sections else topic.summary
    body = f"{body}\n\n{library.message('more_offer')}"
    buttons = (
        Button(library.message("more_button"), MORE_PAYLOAD),
        *_follow_up_buttons(topic),
    )
    return Reply(_close(body, topic, library), buttons)


def answer_topics(
    topics: Sequence[Topic], entities: Sequence[tuple[str, str]], library: Library
) -> list[Reply]:
    """One reply per topic asked about; only the last keeps its buttons.

    "Tell me more" then continues the last topic, which is the one remembered.
    """
    replies = [answer_topic(topic, entities, library) for topic in topics]
    return [Reply(r.text) for r in replies[:-1]] + replies[-1:]


def answer_more(topic: Topic, library: Library) -> Reply:
    """The deeper "tell me more" layer of a topic, then sources."""
    return Reply(_close(topic.more, topic, library), _follow_up_buttons(topic))


def more_exhausted(topic: Topic, library: Library) -> Reply:
    """What to say when the deeper layer of a topic was already given."""
    text = library.message("more_exhausted").format(title=topic.title.lower())
    return Reply(text, _follow_up_buttons(topic))


def no_topic(library: Library) -> Reply:
    """What to say to "tell me more" before any topic came up."""
    starters = (library.topics[i] for i in library.messages["starter_topics"])
    buttons = tuple(Button(t.title, f"/{t.intent}") for t in starters)
    return Reply(library.message("no_topic"), buttons)
