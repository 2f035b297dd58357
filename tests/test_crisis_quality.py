"""The crisis sets: kept out of training, well formed, and a floor on the held-out ones.

The full comparison with other systems is ``make bench-crisis``; this keeps a floor
so a regression fails CI.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.core.crisis.model import LABELS, read_examples
from bot.quality.nlu_data import normalise, training_examples
from tools.bench_crisis import (
    CRISIS_DIR,
    DEV_SET,
    UNCERTAIN,
    parse_conversations,
    read_set,
    score,
)

ROOT = Path(__file__).resolve().parents[1]
SETS = sorted(p.stem for p in (ROOT / CRISIS_DIR).glob("*.yml"))
HELD_OUT = [name for name in SETS if name != DEV_SET]
KNOWN = {*LABELS, UNCERTAIN} - {"distress"}
# Just beyond the worst first measurements on the held-out sets (docs/crisis.md): a guard
# against regressions, not the target.
RECALL_FLOOR = 0.90
FALSE_ALARM_CEILING = 0.12
# Set K's false alarms are mostly questions about crisis handling, which the lexicon cards.
FALSE_ALARM_CEILING_OF = {"messages_k": 0.15}


# Greetings and short bare statements ("hi", "i want to kill myself") are written the
# same way by everyone; longer messages must be new.
SHORT = 6


@pytest.mark.parametrize("name", SETS)
def test_no_crisis_set_message_is_in_any_training_data(name, library):
    seen = {normalise(text) for text, _ in training_examples(ROOT)}
    seen |= {normalise(text) for text, _ in read_examples()}
    seen |= {normalise(t) for unit in library.units.values() for t in unit.texts}
    texts = [
        turn.text
        for conversation in read_set(ROOT / CRISIS_DIR / f"{name}.yml")
        for turn in conversation
    ]
    assert [t for t in texts if len(t.split()) > SHORT and normalise(t) in seen] == []


@pytest.mark.parametrize("name", SETS)
def test_every_crisis_set_label_is_a_known_kind(name):
    labels = {turn.label for c in read_set(ROOT / CRISIS_DIR / f"{name}.yml") for turn in c}
    assert labels <= KNOWN


@pytest.mark.model
@pytest.mark.parametrize("name", HELD_OUT)
def test_held_out_danger_recall_and_false_alarms_stay_above_the_floor(name, agent):
    conversations = parse_conversations(
        agent, read_set(ROOT / CRISIS_DIR / f"{name}.yml"), alone=False
    )
    tiers = [[(t.assessment.tier, t.assessment.kind) for t in c] for c in conversations]
    scored = score(conversations, tiers)
    assert scored["danger_recall"]["rate"] >= RECALL_FLOOR, scored
    ceiling = FALSE_ALARM_CEILING_OF.get(name, FALSE_ALARM_CEILING)
    assert scored["false_alarm_all"]["rate"] <= ceiling, scored
