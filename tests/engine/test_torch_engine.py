"""The torch engine on a real (tiny, random) checkpoint folder: same tokens as the model's own loop."""
import numpy as np
import pytest

from llava_ros.engine import GenerationSettings, create_engine, engine_names
from llava_ros.model import GenerationConfig, generate
from tests.tiny import save_tiny_checkpoint


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    return create_engine("torch", model_path=save_tiny_checkpoint(tmp_path_factory.mktemp("tiny")))


@pytest.fixture
def image():
    return np.random.default_rng(0).integers(0, 256, size=(48, 64, 3), dtype=np.uint8)


def test_registry_names_the_torch_engine_and_rejects_unknown_names():
    assert "torch" in engine_names()
    with pytest.raises(ValueError, match="unknown engine 'nope'"):
        create_engine("nope")


def test_greedy_answer_equals_the_model_generation_loop(engine, image):
    result = engine.answer(image, "Where is the red cube?", GenerationSettings(max_new_tokens=8))
    ids = engine.prompt_ids("Where is the red cube?", with_image=True)
    direct = generate(engine.model, engine.tokenizer, ids, engine.processor(image),
                      GenerationConfig(max_new_tokens=8, stop_strings=(engine.stop_str,)))
    assert result.token_ids == direct.token_ids
    assert result.text == direct.text.strip()
    assert result.latency_s > 0 and result.prompt_tokens == len(ids) - 1 + engine.model.num_image_tokens


def test_streaming_pieces_add_up_to_the_answer(engine, image):
    pieces = []
    result = engine.answer(image, "What is on the table?", GenerationSettings(max_new_tokens=10), pieces.append)
    assert "".join(pieces).strip() == result.text


def test_text_only_request(engine):
    result = engine.answer(None, "Hello", GenerationSettings(max_new_tokens=4))
    assert result.prompt_tokens == len(engine.prompt_ids("Hello", with_image=False))


@pytest.mark.parametrize("prompt, message", [("", "prompt is empty"), ("   ", "prompt is empty"),
                                             ("x" * 5000, "prompt is 5000 characters long")])
def test_bad_prompts_are_named(engine, image, prompt, message):
    with pytest.raises(ValueError, match=message):
        engine.answer(image, prompt)


def test_prompt_longer_than_the_context_is_refused(engine, image):
    with pytest.raises(ValueError, match="exceeds the model's context of 256"):
        engine.answer(image, "red cube " * 200, GenerationSettings(max_new_tokens=8))


@pytest.mark.parametrize("bad, message", [
    (np.zeros((32, 32), np.uint8), r"shape \(H, W, 3\)"),
    (np.zeros((32, 32, 3), np.float32), "uint8"),
    (np.zeros((4, 32, 3), np.uint8), "too small"),
])
def test_malformed_images_are_named(engine, bad, message):
    with pytest.raises(ValueError, match=message):
        engine.answer(bad, "What is this?")
