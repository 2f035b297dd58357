"""The tuned encoder is saved with the model, and the components after it use it, not another."""

from __future__ import annotations

import shutil
import tarfile
from pathlib import Path
from typing import Any

import joblib
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from safetensors.numpy import load_file, save_file

from bot.nlu import tuned_encoder
from bot.nlu.blended_classifier import BlendedIntentClassifier
from bot.nlu.sentence_encoder import SentenceEncoder, default_encoder, encoder_for, model_folder
from bot.nlu.tuned_encoder import ENCODER_KEY, TunedEncoder, training_encoder

CONTEXT = ExecutionContext(GraphSchema({}), "test")
EXAMPLES = {
    "ask_cost": ["how much does it cost", "is it expensive", "price of a session"],
    "ask_side_effects": ["does it make you dizzy", "any side effects", "will i feel sick"],
}


def examples() -> TrainingData:
    return TrainingData(
        [Message(data={TEXT: t, INTENT: i}) for i, texts in EXAMPLES.items() for t in texts]
    )


@pytest.fixture
def saved_encoder(tmp_path: Path) -> tuple[LocalModelStorage, Resource]:
    """A model folder holding weights that differ from the published ones, as tuning leaves them."""
    storage, resource = LocalModelStorage(tmp_path), Resource("tuned_encoder")
    weights = load_file(str(model_folder() / "model.safetensors"))
    weights["encoder.layer.5.output.dense.bias"] *= 0.5
    with storage.write_to(resource) as folder:
        save_file(weights, str(folder / TunedEncoder.saved_as))
        for name in ("config.json", "tokenizer.json"):
            (folder / name).write_bytes((model_folder() / name).read_bytes())
    return storage, resource


def loaded(storage: LocalModelStorage, resource: Resource) -> TunedEncoder:
    return TunedEncoder.load(TunedEncoder.get_default_config(), storage, resource, CONTEXT)


def test_a_loaded_model_marks_the_training_examples_with_its_own_encoder(saved_encoder) -> None:
    data = loaded(*saved_encoder).process_training_data(examples())
    keys = {m.get(ENCODER_KEY) for m in data.training_examples}
    assert len(keys) == 1 and keys != {default_encoder().key}
    assert training_encoder(data).key in keys


def test_unmarked_examples_train_with_the_published_encoder() -> None:
    assert training_encoder(examples()) is default_encoder()


def test_examples_marked_with_two_encoders_are_refused() -> None:
    data = examples()
    data.training_examples[0].set(ENCODER_KEY, "one")
    data.training_examples[1].set(ENCODER_KEY, "two")
    with pytest.raises(ValueError, match="several encoders"):
        training_encoder(data)


def test_a_classifier_after_it_embeds_with_the_tuned_encoder(saved_encoder, tmp_path) -> None:
    data = loaded(*saved_encoder).process_training_data(examples())
    config = {**BlendedIntentClassifier.get_default_config(), "embedding_weight": 0.3}
    resource = Resource("blended")
    storage = LocalModelStorage(tmp_path)
    BlendedIntentClassifier.create(config, storage, resource, CONTEXT).train(data)
    component = BlendedIntentClassifier.load(config, storage, resource, CONTEXT)
    classifier = component._embedding_classifier
    assert classifier is not None
    assert classifier.encoder_key == training_encoder(data).key != default_encoder().key


def test_weights_tuned_before_on_the_same_inputs_are_reused(
    saved_encoder, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tuned_encoder, "CACHE_DIR", tmp_path / "cache")
    fake_fine_tune = FakeFineTune(saved_encoder)
    monkeypatch.setattr(tuned_encoder, "fine_tune", fake_fine_tune)
    config = TunedEncoder.get_default_config()
    for name in ("first", "second"):
        resource = Resource(name)
        TunedEncoder.create(config, saved_encoder[0], resource, CONTEXT).train(examples())
        assert loaded(saved_encoder[0], resource)._encoder is not None
    assert fake_fine_tune.calls == 1


class FakeFineTune:
    """Writes the saved encoder's weights where fine-tuning would, and counts the calls."""

    def __init__(self, saved: tuple[LocalModelStorage, Resource]) -> None:
        self.saved, self.calls = saved, 0

    def __call__(self, groups: Any, out: Path, tuning: Any) -> None:
        self.calls += 1
        storage, resource = self.saved
        with storage.read_from(resource) as folder:
            shutil.copytree(folder, out)


def test_a_model_whose_encoder_is_not_loaded_says_so() -> None:
    with pytest.raises(RuntimeError, match="TunedEncoder must come before"):
        encoder_for("0" * 16)


def test_a_model_without_tuned_weights_leaves_the_examples_unmarked(tmp_path: Path) -> None:
    storage, resource = LocalModelStorage(tmp_path), Resource("empty")
    data = loaded(storage, resource).process_training_data(examples())
    assert all(m.get(ENCODER_KEY) is None for m in data.training_examples)


MODEL = Path(__file__).resolve().parents[1] / "models" / "current.tar.gz"


@pytest.fixture(scope="module")
def model_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert MODEL.exists(), "train first: make train"
    folder = tmp_path_factory.mktemp("model")
    with tarfile.open(MODEL) as archive:
        archive.extractall(folder, filter="data")
    return folder / "components"


def saved(components: Path, component: str) -> Any:
    """What a component of the trained model saved (its one joblib file)."""
    (path,) = components.glob(f"train_*{component}*/*.joblib")
    return joblib.load(path)


@pytest.mark.model
def test_the_trained_answer_index_and_intent_blend_use_the_models_own_encoder(
    model_files: Path,
) -> None:
    (weights,) = model_files.glob("train_*TunedEncoder*/model.safetensors")
    key = SentenceEncoder(weights.parent).key
    assert key != default_encoder().key
    assert saved(model_files, "AnswerRetriever").encoder_key == key
    (blend,) = model_files.glob("train_*BlendedIntentClassifier*/embedding.joblib")
    assert joblib.load(blend).encoder_key == key


@pytest.mark.model
def test_the_trained_crisis_model_keeps_the_published_encoder(model_files: Path) -> None:
    assert saved(model_files, "CrisisGuard").encoder_key == default_encoder().key
