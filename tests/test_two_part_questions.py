"""Two-part questions are split, classified part by part, and both parts answered."""

from __future__ import annotations

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.core.answers import answer_topics
from bot.core.questions import split_questions
from bot.nlu.blended_classifier import BlendedIntentClassifier


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        (
            "what are the side effects and how long do they last",
            ["what are the side effects", "how long do they last"],
        ),
        (
            "how much is it? is it covered by insurance",
            ["how much is it", "is it covered by insurance"],
        ),
        ("how does it work, and is it addictive", ["how does it work", "is it addictive"]),
        ("is it safe; how many sessions are there", ["is it safe", "how many sessions are there"]),
    ],
)
def test_two_questions_are_split(text, parts):
    assert split_questions(text) == parts


@pytest.mark.parametrize(
    "text",
    ["can I mix ketamine and alcohol", "side effects and cost", "what is ketamine"],
)
def test_one_question_stays_whole(text):
    assert split_questions(text) == [text]


def test_a_fragment_after_a_question_mark_joins_the_question_before_it():
    assert split_questions("side effects? any?") == ["side effects any"]


def test_only_the_last_of_several_answers_keeps_buttons(library):
    topics = [library.topic("ask_side_effects"), library.topic("ask_onset_duration")]
    first, last = answer_topics(topics, [], library)
    assert first.buttons == ()
    assert last.buttons and last.text.startswith(topics[1].summary)


EXAMPLES = {
    "ask_side_effects": ["what are the side effects", "does it cause nausea", "side effects?"],
    "ask_onset_duration": [
        "how fast does it work",
        "how long does relief last",
        "when will i feel better",
    ],
    "ask_cost_access": [
        "how much does it cost",
        "is it covered by insurance",
        "price of treatment",
    ],
    "greet": ["hello", "hi there", "good morning"],
}


def train_and_load(folder, **settings) -> tuple[BlendedIntentClassifier, BlendedIntentClassifier]:
    """The component trained on EXAMPLES, and the same component saved and loaded back."""
    storage = LocalModelStorage(folder)
    resource = Resource("blended_classifier")
    config = {**BlendedIntentClassifier.get_default_config(), **settings}
    context = ExecutionContext(GraphSchema({}), "test")
    component = BlendedIntentClassifier.create(config, storage, resource, context)
    messages = [
        Message(data={TEXT: text, INTENT: intent})
        for intent, texts in EXAMPLES.items()
        for text in texts
    ]
    component.train(TrainingData(messages))
    return component, BlendedIntentClassifier.load(config, storage, resource, context)


@pytest.fixture
def trained(tmp_path) -> BlendedIntentClassifier:
    return train_and_load(tmp_path, part_threshold=0.3)[1]


def diet_says(text: str, intent: str) -> Message:
    top = {"name": intent, "confidence": 0.6}
    other = {"name": "greet" if intent != "greet" else "ask_side_effects", "confidence": 0.4}
    return Message(data={TEXT: text, INTENT: top, INTENT_RANKING_KEY: [top, other]})


def test_component_marks_both_parts_of_a_two_part_question(trained):
    [message] = trained.process(
        [diet_says("what are the side effects and how fast does it work", "ask_side_effects")]
    )
    assert [q["intent"] for q in message.get("questions")] == [
        "ask_side_effects",
        "ask_onset_duration",
    ]


def test_component_does_not_mark_a_single_question(trained):
    [message] = trained.process([diet_says("does it cause nausea", "ask_side_effects")])
    assert message.get("questions") is None


def test_component_blends_diet_with_its_own_ranking(trained):
    [message] = trained.process([diet_says("how much does it cost", "greet")])
    ranking = message.get(INTENT_RANKING_KEY)
    assert message.get(INTENT) == ranking[0]
    assert {r["name"] for r in ranking} >= {"greet", "ask_cost_access"}
    assert sum(r["confidence"] for r in ranking) == pytest.approx(1.0)


def test_a_saved_and_loaded_component_ranks_as_the_trained_one(tmp_path):
    trained, loaded = train_and_load(tmp_path, diet_weight=0.34, embedding_weight=0.33)
    [before] = trained.process([diet_says("is it covered by my plan", "greet")])
    [after] = loaded.process([diet_says("is it covered by my plan", "greet")])
    assert after.get(INTENT_RANKING_KEY) == pytest.approx(before.get(INTENT_RANKING_KEY))
