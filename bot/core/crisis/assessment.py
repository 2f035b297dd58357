"""How much danger a message shows, read in the context of the conversation.

The assessment chooses a tier:

- ``crisis``: clear danger; the crisis card of its kind, at once;
- ``check_in``: an uncertain signal (despair without intent); the answer asked
  for, then "Are you having thoughts of harming yourself?";
- ``line``: no danger, but the crisis line belongs beside the answer: a question
  about suicide or overdose as a topic, or any message after a crisis card;
- ``none``.

The lexicon decides first and overrides everything, except that a phrase told as
history, negated, or asked about by someone else ("five years ago I tried to kill
myself", "I'm not having any thoughts of harming myself", "the nurse asked if I'd
been hurting myself") asks the check-in rather than sending the card, and a phrase
in a question asked in general ("what happens if someone says they want to die?") is a
topic question unless the model sees danger; then the model's danger probability for
the message alone; then the same probability against a lower bar when an earlier
message of the conversation showed concern, so that risk stated across turns is
caught. Pure Python: the NLU component :mod:`bot.nlu.crisis_guard` gathers the
inputs from the Rasa tracker.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.crisis.lexicon import CrisisDetector, normalise
from bot.core.crisis.model import DANGER_KINDS, DISTRESS

CRISIS = "crisis"
CHECK_IN = "check_in"
LINE = "line"
NONE = "none"
TIERS = (CRISIS, CHECK_IN, LINE, NONE)
ASSESSMENT_KEY = "crisis_assessment"
# The responses (domain.yml): every crisis card's name starts with CARD_RESPONSE.
CARD_RESPONSE = "utter_crisis"
CHECK_IN_RESPONSE = "utter_check_in"
CHECK_IN_YES_KIND = "suicide"
EMERGENCY = "emergency"

# Suicide, self-harm or overdose named as a subject ("does esketamine help suicidal
# thoughts?"): answered, with the crisis line beside the answer.
_TOPIC = re.compile(
    r"\b(suicid\w*|self ?harm\w*|overdos\w*|kill (my|him|her|them) ?sel(f|ves)"
    r"|harm(ing)? (my|him|her|them) ?sel(f|ves)|want(s|ed)? to die)\b"
)


# The person says they are safe now ("im safe", "it passed", "not going to do anything"),
# or that help has come ("the ambulance is here"):
# the model reads the danger words around it, so without a lexicon phrase this is no card.
# "I'm ok with it" accepts something, often death ("I've decided to go and I'm ok with
# it"); it says nothing about being safe.
_SAFE = re.compile(
    r"\bi ?a?m (safe|ok|okay|fine|alright)\b(?! with)"
    r"|\bnot (going|gonna) to do anything\b|\bit(s| has)? passed\b"
    r"|(?<!no )\b(ambulance|paramedics?|emts?|help) (is|are|has|have|just)"
    r" (here|arrived|came|come)\b(?! yet)"
)


# Words among the three before "im fine" that make it what others believe, ask or are
# told, or what the writer shows ("my parents think im fine", "stop asking if im okay",
# "i tell everyone im fine"), not the writer saying they are safe.
_BELIEVED = frozenset(
    "think thinks thought believe believes believed assume assumes say says saying tell"
    " tells telling ask asks asked asking if whether pretend pretending act acting like"
    " seem seems look looks".split()
)


# A past time in the same sentence as a lexicon phrase: the danger is told as history
# ("in 2018", "years ago", "last year", "used to", "before ketamine"; not "last month"
# or "last week", too close to now), unless the sentence also says
# now ("years ago i tried to kill myself, tonight i will again"), which errs towards the
# card ("used to cut myself but right now im fine" gets it).
_HISTORY = re.compile(
    r"\b(years?|yrs?|months|decades?) ago\b|\b(in|since|back in) (19|20)\d\d\b"
    r"|\bback (in|when|then)\b|\bwhen i was (a |an |in |younger|little|\d)|\bused to\b"
    r"|\bin (high school|college|university|my teens|my twenties)\b"
    r"|\bbefore (i started |starting )?(ketamine|spravato|esketamine|treatment|my treatment)\b"
    r"|\blast (year|summer|winter|spring|fall|autumn)\b"
)
_NOW = re.compile(r"\b(tonight|right now|rn|just now)\b")
# A negation right before the phrase ("i dont want to die", "im not going to hurt
# myself"). Only these few words, only just before: "i cant do this anymore, i want to
# die" stays a card.
_NEGATION = frozenset({"not", "dont", "never", "didnt", "doesnt", "wont", "nor"})
# "no" negates only thoughts, across linking words ("no thoughts of hurting myself"): not
# "no i want to die", nor an unpunctuated answer ("no gonna kill myself tonight").
_REACH_NEGATION = _NEGATION | {"no"}
# A subject after the negation starts a new clause: "ketamine didnt work i want to die".
_SUBJECTS = frozenset({"i", "im", "ive", "id", "ill"})
# Before a negation, these make a doubled negation, which affirms ("i cant not think").
_CANT = frozenset({"cant", "couldnt"})
# Further back in its clause, a negation still counts when only these words stand
# between it and the phrase ("im not having any thoughts of harming myself"); any other
# word ends its reach ("i dont care anymore i want to die" stays a card), and so does a
# comma ("not really, thinking about killing myself").
_NEGATION_REACH = 5
_NEGATED_FILLER = frozenset(
    "having have had any thoughts thought of about going to gonna ever".split()
)
# Marks inside a sentence after which a new clause is said apart.
_CLAUSE_BREAK = re.compile(r"[,:\u2013\u2014]|\s-\s")
# The writer's own suicidal thoughts or self-harm, in its clause, is what someone else
# asked about ("the nurse asked if id been hurting myself", "everyone keeps checking if
# im suicidal") or what the writer supposes saying ("if i told you i was suicidal"). "i
# asked if i could come in earlier because i want to kill myself", "i wonder if id be
# better off dead" and "mom keeps asking if im okay, im planning to kill myself" are
# cards. Never an emergency: "the nurse asked if he was breathing" is no history.
_ASKED_KINDS = frozenset({"suicide", "self_harm"})
_ASKING = frozenset("asked asks ask asking checking checked checks".split())
_SUPPOSING = frozenset(
    "tell told say said admit admitted mention mentioned write wrote type typed".split()
)
_NEW_CLAUSE = frozenset("because cause since and but so then".split())
# A screening form's item quoted back with "no" for its answer ("the phq 9 question about
# being better off dead: my score was 0", "the survey asked how often youd be better off
# dead and i said not at all"). Only for a phrase in the form's words, none of them the
# writer's ("kill myself" is the writer's own), after a form named with a word that quotes
# it ("question", "asked", "about"), with no new clause or word of the writer's between;
# and only when the message says nothing of now and answers no and nothing else ("nearly
# every day", "yes", "i lied" keep the card).
_FORMS = frozenset("phq phq9 questionnaire survey screener screening form".split())
_QUOTING = frozenset("question questions item asks asked ask about says said mean means".split())
_ANSWERED_NO = re.compile(r"\b(not at all|never|no|zero|0|none)\b")
_ANSWERED_OTHERWISE = re.compile(
    r"\b(yes|every day|nearly every|more than half|several days|lied|lie|truth|honest|honestly)\b"
)
# A question asked in general or about someone unnamed ("what do you do if a patient
# says they're suicidal?"): the sentence asks a question, a word of this kind comes
# before the phrase, and no word in the sentence is the writer's own. Only for these
# kinds: a cry for help ("someone call 911, he's not breathing") is never general.
_GENERAL = frozenset(
    "if whether signs someone somebody anyone anybody people patient patients person others".split()
)
_GENERAL_KINDS = frozenset({"suicide", "self_harm", "other_at_risk"})
_OWN = frozenset({"i", "im", "id", "ive", "ill", "me", "my", "mine", "myself", "we", "us", "our"})
# Words that make a question about someone real, now, or the writer too ("anyone else
# feel like ending it?", "what do I do if my husband says he will kill himself tonight").
_NOT_GENERAL = frozenset(
    "else too tonight now rn today help pls please out husband wife partner boyfriend"
    " girlfriend son daughter brother sister mom mum dad mother father friend kid child"
    " your".split()
)
# The writer counts themselves in, anywhere in the message ("...? because i do", "...?
# its not hypothetical").
_ME_TOO = re.compile(
    r"\b(i do|me too|like me|thats me|its me|so do i|same here|im too|im one"
    r"|that someone|not hypothetical|not joking|not kidding)\b"
)
_QUESTION_WORDS = frozenset(
    "what how does do is are can could should would will when why who where".split()
)
# A sentence with the punctuation that ends it.
_SENTENCES = re.compile(r"[^.!?;\n]+[.!?;\n]*")
TOLD = "told"
GENERAL = "general"


@dataclass(frozen=True)
class Settings:
    """Where the tiers begin, in the model's probabilities (the shipped ones: ``config.yml``).

    ``crisis``: danger probability that is clear danger on its own;
    ``context``: the lower bar for danger after a message of concern in the last ``turns``;
    ``concern``: danger plus distress probability that is concern (a check-in, and it
    lowers the bar for the next messages); ``repeat``: the bar for another card after
    one was sent in this session (the person has the crisis line already, and "I'm
    safe now, can I ask..." must get its answer); ``classifier``: the intent
    classifier's confidence in ``crisis`` that asks the check-in when the assessor
    sees no danger (a typo like "i wanna dye" that only the classifier recognises).
    """

    crisis: float = 0.4
    context: float = 0.15
    concern: float = 0.4
    repeat: float = 0.5
    classifier: float = 0.7
    turns: int = 3


@dataclass(frozen=True)
class Assessment:
    """The tier chosen for a message, with what it rests on."""

    tier: str
    kind: str | None = None
    danger: float = 0.0
    concern: float = 0.0
    reason: str = NONE
    phrase: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """A plain dict for the parse data (it is stored with the message in the tracker)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: object) -> Assessment | None:
        """The assessment stored in a message's parse data, or None if there is none."""
        if not isinstance(data, dict) or data.get("tier") not in TIERS:
            return None
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass(frozen=True)
class Context:
    """What the conversation says before the message.

    ``earlier``: the assessments of the user's earlier messages, newest first, since
    the last crisis card; ``card_shown``: a crisis card was sent in this session;
    ``after_check_in``: the bot's last reply asked the check-in question.
    """

    earlier: tuple[Assessment, ...] = field(default_factory=tuple)
    card_shown: bool = False
    after_check_in: bool = False


def danger_of(probabilities: Mapping[str, float]) -> tuple[float, float, str]:
    """(danger, concern, most likely kind of danger) from the model's probabilities."""
    danger = sum(probabilities.get(k, 0.0) for k in DANGER_KINDS)
    kind = max(DANGER_KINDS, key=lambda k: probabilities.get(k, 0.0))
    return danger, danger + probabilities.get(DISTRESS, 0.0), kind


def is_topic(text: str) -> bool:
    """True when ``text`` names suicide, self-harm or overdose as a subject."""
    return bool(_TOPIC.search(normalise(text)))


def wants_crisis_line(parse: Mapping[str, Any]) -> bool:
    """True when the assessment in a message's parse data puts the crisis line beside the answer."""
    stored = Assessment.from_dict(parse.get(ASSESSMENT_KEY))
    return stored is not None and stored.tier == LINE


def lexicon_phrase(text: str, detector: CrisisDetector) -> tuple[str | None, str | None]:
    """(the lexicon phrase in ``text``, how it is qualified: None, TOLD or GENERAL).

    Every phrase in every clause of every sentence is judged. A phrase is told (TOLD)
    when its sentence has a past time and does not say now ("tonight"), a negation
    governs it in its clause, someone else asked about it or the writer supposes
    saying it (:func:`asked_or_supposed`), or it quotes a screening form answered no
    (:func:`quoted_form`); it is asked in general (GENERAL) as
    :data:`_GENERAL` says. One unqualified phrase and the message is not qualified,
    whatever the others say; a message with both kinds of qualified phrase is told (it
    asks the check-in).
    """
    found: str | None = None
    qualifiers: set[str] = set()
    message = normalise(text)
    me_too = bool(_ME_TOO.search(message))
    read = ((m.group(), normalise(m.group())) for m in _SENTENCES.finditer(text))
    sentences = [(sentence, normalised) for sentence, normalised in read if normalised]
    clauses = [
        (sentence, normalised, clause)
        for sentence, normalised in sentences
        for clause in _CLAUSE_BREAK.split(sentence)
    ]
    for sentence, normalised, clause in clauses:
        words = normalised.split()
        history = bool(_HISTORY.search(normalised)) and not _NOW.search(normalised)
        question = sentence.rstrip().endswith("?") or words[0] in _QUESTION_WORDS
        for phrase, before in detector.find_all(clause):
            kind = detector.kind_of(phrase)
            if (
                history
                or negated(before)
                or (
                    kind in _ASKED_KINDS
                    and (asked_or_supposed(before) or quoted_form(phrase, before, message))
                )
            ):
                qualifiers.add(TOLD)
            elif (
                question
                and not me_too
                and kind in _GENERAL_KINDS
                and _GENERAL.intersection(before)
                and not (_OWN | _NOT_GENERAL).intersection(words)
            ):
                qualifiers.add(GENERAL)
            else:
                return phrase, None
            found = found or phrase
    if found is None and len(clauses) > 1:
        # A phrase split over two sentences or clauses ("i want to. die") is still found
        # whole; a single clause was searched whole already.
        return detector.find(text), None
    if found is None:
        return None, None
    return found, TOLD if TOLD in qualifiers else GENERAL


def negated(before: list[str]) -> bool:
    """True when a negation governs the phrase that follows the words ``before``.

    It governs up to three words back unless a new subject follows it ("didnt work i
    want to die"), and further back across linking words only; "no" only as "no
    thoughts of". A doubled negation affirms ("i cant not think about killing myself").
    """
    start = max(0, len(before) - _NEGATION_REACH)
    negations = [
        i
        for i in range(start, len(before))
        if before[i] in _REACH_NEGATION and not (i and before[i - 1] in _CANT)
    ]
    if not negations:
        return False
    last = negations[-1]
    rest = before[last + 1 :]
    if before[last] == "no":
        return rest[:1] in (["thoughts"], ["thought"]) and set(rest) <= _NEGATED_FILLER
    return (len(rest) <= 2 and not _SUBJECTS.intersection(rest)) or set(rest) <= _NEGATED_FILLER


def asked_or_supposed(before: list[str]) -> bool:
    """True when the phrase after ``before`` is asked about by someone else or supposed.

    The last "if" or "whether" opens a question someone else asks ("the nurse asked
    if") or the writer's supposition ("if i told you"), and its clause runs on to the
    phrase.
    """
    openers = [i for i, word in enumerate(before) if word in ("if", "whether")]
    if not openers or _NEW_CLAUSE.intersection(before[openers[-1] + 1 :]):
        return False
    opener = openers[-1]
    lead = [word for word in before[max(0, opener - 3) : opener] if word not in ("me", "us")]
    if "i" in lead:
        return False
    supposed = before[opener + 1 : opener + 3]
    asked = bool(lead) and lead[-1] in _ASKING
    return asked or (len(supposed) == 2 and supposed[0] == "i" and supposed[1] in _SUPPOSING)


def quoted_form(phrase: str, before: list[str], message: str) -> bool:
    """True when ``phrase`` after ``before`` quotes a screening form that was answered no.

    ``message`` is the whole message, normalised.
    """
    if _OWN.intersection(phrase.split()) or _NOW.search(message):
        return False
    if not _ANSWERED_NO.search(message) or _ANSWERED_OTHERWISE.search(message):
        return False
    named = [i for i, word in enumerate(before) if word in _FORMS]
    if not named:
        return False
    rest = before[named[-1] + 1 :]
    return bool(_QUOTING.intersection(rest[:5])) and not (_OWN | _NEW_CLAUSE).intersection(rest)


def states_safety(text: str) -> bool:
    """True when ``text`` says the person is safe now, in their own voice.

    "My parents think I'm fine" is what others believe, not a statement of safety.
    """
    normalised = normalise(text)
    return any(
        not _BELIEVED.intersection(normalised[: m.start()].split()[-3:])
        for m in _SAFE.finditer(normalised)
    )


def assess(
    text: str,
    probabilities: Mapping[str, float] | None,
    context: Context,
    detector: CrisisDetector,
    *,
    answered_yes: bool = False,
    classifier_crisis: float = 0.0,
    settings: Settings = Settings(),
) -> Assessment:
    """The tier for ``text``.

    ``probabilities``: the model's, or None when there is no model (then only the
    lexicon and the check-in answer can raise a crisis); ``answered_yes``: the
    message was classified as a yes; ``classifier_crisis``: the intent classifier's
    confidence in ``crisis`` when that was its prediction.
    """
    danger, concern, kind = danger_of(probabilities) if probabilities else (0.0, 0.0, "")
    phrase, qualified = lexicon_phrase(text, detector)
    if phrase is not None and qualified is None:
        # The model names the kind better than a phrase does ("not trying to kill myself,
        # it just lets the pressure out" is self-harm); without a model, the phrase's kind.
        named = kind if danger > 0 else detector.kind_of(phrase)
        return Assessment(CRISIS, named, danger, concern, "lexicon", phrase)
    if context.after_check_in and answered_yes:
        return Assessment(CRISIS, CHECK_IN_YES_KIND, danger, concern, "check_in_answer")
    recent = context.earlier[: settings.turns]
    # "I'm safe now" beside danger words is not a card (the lexicon above still is).
    danger_for_card = 0.0 if states_safety(text) else danger
    # After a card, another needs a very clear signal, unless it is an emergency (an
    # overdose after suicidal thoughts, blue lips after "he won't wake up"): that card
    # says to call 911 first, and saying it again does no harm.
    repeat = max(settings.crisis, settings.repeat)
    bar = repeat if context.card_shown and kind != EMERGENCY else settings.crisis
    if danger_for_card >= bar:
        return Assessment(CRISIS, kind, danger, concern, "model")
    if (
        not context.card_shown
        and danger_for_card >= settings.context
        and any(e.concern >= settings.concern for e in recent)
    ):
        return Assessment(CRISIS, kind, danger, concern, "context")
    # No check-in right after another, or after a card: the crisis line is there already.
    asked = context.card_shown or context.after_check_in or any(e.tier == CHECK_IN for e in recent)
    if concern >= settings.concern and not asked:
        return Assessment(CHECK_IN, None, danger, concern, "concern")
    if qualified == TOLD and not asked:
        return Assessment(CHECK_IN, None, danger, concern, "lexicon_qualified", phrase)
    if classifier_crisis >= settings.classifier and not asked:
        return Assessment(CHECK_IN, None, danger, concern, "classifier")
    topic = qualified == GENERAL or is_topic(text)
    if concern >= settings.concern or topic or context.card_shown:
        reason = "topic" if topic else "after_card" if context.card_shown else "concern"
        return Assessment(LINE, None, danger, concern, reason)
    return Assessment(NONE, None, danger, concern)
