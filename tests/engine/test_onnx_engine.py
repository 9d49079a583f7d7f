"""ONNX export + onnxruntime engine vs torch on the tiny checkpoint: features, greedy tokens, caching, CLI."""
import json

import numpy as np
import pytest
import torch

pytest.importorskip("onnxruntime")

from llava_ros.engine import GenerationSettings, create_engine, engine_names  # noqa: E402
from llava_ros.engine.export import export_onnx, main as export_main, model_hash  # noqa: E402
from llava_ros.engine.parity import check_parity, synthetic_pairs  # noqa: E402
from llava_ros.model import LlavaModel, save_pretrained  # noqa: E402
from tests.tiny import make_tokenizer, save_tiny_checkpoint, tiny_config  # noqa: E402


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny"), projector="linear")


@pytest.fixture(scope="module")
def engines(model_dir):
    return create_engine("torch", model_path=model_dir), create_engine("onnx", model_path=model_dir)


def test_export_writes_a_manifest_keyed_by_the_weights_hash(model_dir, engines):
    folder = engines[1].export_dir
    manifest = json.loads((folder / "manifest.json").read_text())
    assert folder == model_dir / "onnx" / model_hash(model_dir)[:16]
    assert manifest["model_hash"] == model_hash(model_dir) and manifest["num_layers"] == 2
    assert manifest["decoder_inputs"][:3] == ["inputs_embeds", "attention_mask", "position_ids"]
    assert manifest["decoder_graph"] == "llama_graph"  # the tiny checkpoint is a Llama
    stamp = (folder / "decoder.onnx").stat().st_mtime_ns
    assert export_onnx(model_dir) == folder and (folder / "decoder.onnx").stat().st_mtime_ns == stamp  # cached


def test_vision_features_match_torch(engines):
    reference, onnx = engines
    pixels = reference.processor([img for img, _ in synthetic_pairs(5)])  # dynamic batch of 5
    with torch.inference_mode():
        want = reference.model.encode_images(pixels)
    got = onnx.backend.encode_images(pixels)
    assert got.shape == want.shape
    assert float((got - want).abs().max()) <= 1e-4


def test_greedy_tokens_match_torch_on_ten_pairs(model_dir, engines):
    report = check_parity(model_dir, n_pairs=10, engine=engines[1], reference=engines[0], max_new_tokens=16)
    assert report.mismatches == [] and report.identical == 10
    assert report.vision_max_abs_diff <= 1e-4 and report.ok


def test_batched_onnx_equals_torch_and_streams(engines):
    reference, onnx = engines
    pairs = synthetic_pairs(3, seed=1)
    images, prompts = [img for img, _ in pairs] + [None], [p for _, p in pairs] + ["Hello there"]
    settings = GenerationSettings(max_new_tokens=10)
    assert [r.token_ids for r in onnx.answer_batch(images, prompts, settings)] == \
        [r.token_ids for r in reference.answer_batch(images, prompts, settings)]
    pieces = []
    result = onnx.answer(images[0], prompts[0], settings, pieces.append)
    assert "".join(pieces).strip() == result.text


def test_onnx_engine_validates_like_torch(engines):
    with pytest.raises(ValueError, match="prompt is empty"):
        engines[1].answer(np.zeros((32, 32, 3), np.uint8), " ")
    with pytest.raises(ValueError, match="exceeds the model's context of 256"):
        engines[1].answer(None, "red cube " * 200)


def test_export_main_prints_the_folder(model_dir, engines, capsys):
    assert "onnx" in engine_names()
    assert export_main(["--model", str(model_dir), "--format", "onnx"]) == 0
    assert capsys.readouterr().out.strip() == str(engines[1].export_dir)
    assert export_main(["--model", str(model_dir / "missing")]) == 2


def test_pos2d_projector_exports_with_its_position_table(tmp_path):
    """A `+pos2d` projector's learned position table travels into the vision graph."""
    tokenizer = make_tokenizer()
    torch.manual_seed(0)
    model = LlavaModel.from_config(tiny_config(tokenizer, "linear+pos2d")).eval()
    with torch.no_grad():
        model.projector.position.normal_()
    save_pretrained(model, tokenizer, tmp_path)
    reference, onnx = create_engine("torch", model_path=tmp_path), create_engine("onnx", model_path=tmp_path)
    pixels = reference.processor([img for img, _ in synthetic_pairs(3)])
    with torch.inference_mode():
        want = reference.model.encode_images(pixels)
    assert float((onnx.backend.encode_images(pixels) - want).abs().max()) <= 1e-4
    report = check_parity(tmp_path, n_pairs=3, engine=onnx, reference=reference, max_new_tokens=8)
    assert report.ok and report.identical == 3
