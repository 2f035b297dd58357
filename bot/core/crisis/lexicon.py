"""The crisis lexicon: the deterministic floor of crisis detection.

First-person danger phrases, each with its kind of danger
(``content/crisis_lexicon.yml``), are matched against the message with small
typos allowed, so that "kil myself" is caught whatever any model says. Pure
Python: used by the assessor (:mod:`bot.core.crisis.assessment`) and directly by tests.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from bot.core.content import CONTENT_DIR
from bot.core.yaml_files import read_yaml

DEFAULT_KIND = "suicide"
LEXICON_FILE = CONTENT_DIR / "crisis_lexicon.yml"
_NON_WORD = re.compile(r"[^a-z0-9ñ]+")


# Written-out forms read as their short forms, so that "I do not want to be here any
# longer" meets the phrase "dont want to be here anymore".
_SHORT_FORMS = {
    "i am": "im",
    "iam": "im",
    "i will": "ill",
    "do not": "dont",
    "does not": "doesnt",
    "did not": "didnt",
    "can not": "cant",
    "cannot": "cant",
    "will not": "wont",
    "any longer": "anymore",
    "any more": "anymore",
    "no more": "anymore",
}
_WRITTEN_OUT = re.compile(r"\b(" + "|".join(_SHORT_FORMS) + r")\b")


def normalise(text: str) -> str:
    """Case folded, without accents or apostrophes, words separated by single spaces.

    Written-out forms become short forms ("do not" is "dont").

    ``casefold`` rather than ``lower``, so upper and lower case read the same:
    "ß".lower() stays "ß" (not a word character here) but "ß".upper() is "SS".
    """
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(c for c in folded if not unicodedata.combining(c))
    folded = folded.replace("'", "").replace("\u2019", "")
    words = _NON_WORD.sub(" ", folded).strip()
    return _WRITTEN_OUT.sub(lambda m: _SHORT_FORMS[m.group(1)], words)


# Words a typo does not make: they change the sense of a phrase ("can breathe", "no
# suicidal", "im overdoing it", "worst heartache of my life", "wants to diet", "swallowed
# all this drip").
_OTHER_SENSE = frozenset(
    {"can", "do", "does", "will", "no", "not", "never", "overdoing", "heartache", "this"}
    | {"diet", "dye", "dine", "dive", "diy", "dig", "dice"}
)


def allowed_typos(length: int) -> int:
    """How many edits a phrase of ``length`` letters may differ by and still match.

    Short phrases must match exactly: one edit turns "want to die" into "want to diet".
    """
    if length >= 16:
        return 2
    if length >= 10:
        return 1
    return 0


class CrisisDetector:
    """Finds crisis phrases in a message, tolerating typos and split or joined words."""

    def __init__(
        self, phrases: Mapping[str, str] | Iterable[str], idioms: Iterable[str] = ()
    ) -> None:
        """Index ``phrases``: a mapping of phrase to kind, or bare phrases (kind "suicide").

        ``idioms`` contain a phrase but mean no danger ("shot myself in the foot"); they
        are taken out of a message before it is searched.
        """
        kinds = phrases if isinstance(phrases, Mapping) else dict.fromkeys(phrases, DEFAULT_KIND)
        self._kinds: dict[str, str] = dict(kinds)
        self._idioms = [re.compile(r"\b" + re.escape(normalise(idiom)) + r"\b") for idiom in idioms]
        self._by_size: dict[int, dict[str, str]] = defaultdict(dict)
        for phrase in self._kinds:
            words = normalise(phrase).split()
            if words:
                # Joined without spaces, so "kill my self" and "killmyself" both match.
                self._by_size[len(words)]["".join(words)] = phrase

    @property
    def kinds(self) -> dict[str, str]:
        """Each phrase with its kind of danger."""
        return dict(self._kinds)

    def kind_of(self, phrase: str) -> str:
        """The kind of danger of a lexicon phrase."""
        return self._kinds[phrase]

    def find(self, text: str) -> str | None:
        """The lexicon phrase found in ``text``, or None."""
        return next((phrase for phrase, _ in self.find_all(text)), None)

    def find_all(self, text: str) -> Iterator[tuple[str, list[str]]]:
        """Each lexicon phrase found in ``text``, with the (normalised) words before it.

        A saying splits the text: the words on either side of it are searched apart, and
        a phrase's words before it stop at the saying.
        """
        parts = [normalise(text)]
        for idiom in self._idioms:
            parts = [piece for part in parts for piece in idiom.split(part)]
        for part in parts:
            yield from self._find_in(part.split())

    def _find_in(self, tokens: list[str]) -> Iterator[tuple[str, list[str]]]:
        for size, phrases in self._by_size.items():
            for width in {max(1, size - 1), size, size + 1}:
                for start in range(len(tokens) - width + 1):
                    window = "".join(tokens[start : start + width])
                    hit = process.extractOne(
                        window, phrases.keys(), scorer=Levenshtein.distance, score_cutoff=2
                    )
                    if not hit or hit[1] > allowed_typos(len(hit[0])):
                        continue
                    phrase = phrases[hit[0]]
                    if hit[1] == 0 or plausible_typo(tokens[start : start + width], phrase):
                        yield phrase, tokens[:start]

    def is_crisis(self, text: str) -> bool:
        """True when ``text`` contains a crisis phrase."""
        return self.find(text) is not None


def plausible_typo(words: list[str], phrase: str) -> bool:
    """Whether ``words``, a near match of ``phrase``, can be a typo of it.

    Not a typo: a match that loses the phrase's last word ("dont want to wake" is not
    "dont want to wake up"), or one whose changed words make another sense: a negation
    turned positive or added ("can breathe" is not "cant breathe", "no suicidal" is not
    "so suicidal"), or a real word near a phrase's ("overdoing" is not "overdosing").
    """
    wanted = normalise(phrase).split()
    same_end = words[-1][-1] == wanted[-1][-1] or words[-1][0] == wanted[-1][0]
    changed = set(words) - set(wanted)
    return same_end and not changed & _OTHER_SENSE


def load_detector(path: Path = LEXICON_FILE) -> CrisisDetector:
    """A detector built from the lexicon file at ``path``."""
    data = read_yaml(path)
    kinds: dict[str, list[str]] = data["kinds"]
    phrases = {phrase: kind for kind, phrases in kinds.items() for phrase in phrases}
    return CrisisDetector(phrases, data.get("idioms") or ())


@lru_cache(maxsize=1)
def default_detector() -> CrisisDetector:
    """The project's own crisis detector, built once per process."""
    return load_detector()
