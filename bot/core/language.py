"""Tell a message in another language from English, so the reply can say so.

The assistant understands English only. A message counts as another language
when both of these hold:

- py3langid, limited to a few languages patients here are likely to write in,
  names one of them other than English with probability 0.95 or more;
- at most a third of its words are English words the assistant knows (spaCy's
  English stop words plus every word of the training data and the content).

The second test is there because on short English messages alone, langid is
wrong about 1 time in 100 ("nah im ok" comes out as German).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from py3langid.langid import MODEL_FILE, LanguageIdentifier
from spacy.lang.en.stop_words import STOP_WORDS

LANGUAGES = ("en", "es", "fr", "de", "pt", "it")
MIN_PROBABILITY = 0.95
MAX_ENGLISH_SHARE = 1 / 3
# English words that are also everyday words in Spanish, French, Portuguese or Italian:
# they say nothing about which language a message is in.
SHARED_WORDS = frozenset(
    "a me no de la en es se te un una le les mi tu si con son solo e o y di da die".split()
)
# English chat shorthand that the training data may not happen to contain: without it,
# "wanna die fr" has no known English word ("die" is shared) and reads as German.
CHAT_WORDS = frozenset(
    "wanna gonna gotta kinda sorta dunno fr rn tbh idk imo lol lmao omg pls plz thx ty "
    "u ur r ya yall cuz bc".split()
)
_WORD = re.compile(r"[^\W\d_]+")


def words(text: str) -> list[str]:
    """The lower-cased words of ``text`` (letters only)."""
    return [w.lower() for w in _WORD.findall(text)]


def english_vocabulary(texts: Iterable[str]) -> frozenset[str]:
    """English stop words (spaCy), chat shorthand and the words of ``texts``, less shared ones."""
    known = set(STOP_WORDS) | CHAT_WORDS
    for text in texts:
        known.update(words(text))
    return frozenset(known - SHARED_WORDS)


@lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    identifier = LanguageIdentifier.from_pickled_model(MODEL_FILE, norm_probs=True)
    identifier.set_languages(list(LANGUAGES))
    return identifier


def other_language(text: str, english: frozenset[str]) -> str | None:
    """The language code of ``text`` when it is not English, else None.

    ``english`` is the vocabulary from :func:`english_vocabulary`. One-word
    messages are never judged: too little to tell.
    """
    found = words(text)
    if len(found) < 2:
        return None
    language, probability = _identifier().classify(text)
    if language == "en" or probability < MIN_PROBABILITY:
        return None
    share = sum(w in english for w in found) / len(found)
    return str(language) if share <= MAX_ENGLISH_SHARE else None
