"""Fix misspelled treatment words in a question before its answer units are ranked.

People type "spravado", "ketamin", "infussion" or "adictive". The sentence encoder cuts
an unknown word into pieces that mean little, so such a question often misses a unit it
would have matched spelled right. Only words that are neither English (pyspellchecker's
word list) nor in the assistant's own texts are touched, and each becomes a word of the
curated content, never an arbitrary dictionary word: a general speller turns
"norketamine" into "arketamine" and "ketamin" into "retain". A fix keeps the first
letter, and is at most one edit away (two for long words); nearer and more frequent
words win.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein
from spellchecker import SpellChecker

from bot.core.content import Library
from bot.core.language import words

MIN_LENGTH = 5
"""Shorter words are too often abbreviations ("copd", "rtms") a letter away from a word."""
LONG_WORD = 9
"""Words this long or longer may be two edits from their fix; shorter ones one."""
# Words pyspellchecker's list lacks that are one edit from a content word: a drug class
# ("snris", not "ssris"), an insurer, everyday words.
NOT_TYPOS = frozenset("snri snris texted texting dreamt humana norcal".split())
# A word with an apostrophe ("didn't") is left whole, so "didn" is never fixed to "did".
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """The English word list that ships with pyspellchecker."""
    return frozenset(SpellChecker().word_frequency.dictionary)


class Speller:
    """Fixes words that are in no vocabulary to the nearest word of the content."""

    def __init__(self, content: Iterable[str]) -> None:
        """``content``: the curated texts, whose words are the fixes."""
        counts = Counter(w for text in content for w in words(text))
        english = english_words()
        # "dont", "wasnt", "youre": contractions typed without the apostrophe.
        english |= {w.replace("'", "") for w in english if "'" in w}
        # A word that is not English and is written once may itself be a typo in an example.
        self._targets = {w: n for w, n in counts.items() if w in english or n >= 2}
        self._known = english | NOT_TYPOS | set(counts)
        self._by_letter: dict[str, list[str]] = {}
        for word in self._targets:
            self._by_letter.setdefault(word[0], []).append(word)

    def fix_word(self, word: str) -> str | None:
        """The content word ``word`` is a misspelling of, or None."""
        lower = word.lower()
        if len(lower) < MIN_LENGTH or lower in self._known or not lower.isalpha():
            return None
        limit = 2 if len(lower) >= LONG_WORD else 1
        best: tuple[int, int, str] | None = None
        for target in self._by_letter.get(lower[0], ()):
            distance = DamerauLevenshtein.distance(lower, target, score_cutoff=limit)
            if distance > limit:
                continue
            key = (distance, -self._targets[target], target)
            if best is None or key < best:
                best = key
        return best[2] if best else None

    def fix(self, text: str) -> str:
        """``text`` with each misspelled word replaced by its fix."""
        return _WORD.sub(lambda m: self.fix_word(m.group()) or m.group(), text)


def content_speller(library: Library) -> Speller:
    """A speller whose fixes are the words of every unit's question, examples and answer."""
    return Speller(t for unit in library.units.values() for t in (*unit.texts, unit.answer))
