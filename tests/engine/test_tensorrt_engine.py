"""TensorRT engine: registered without importing tensorrt; parity tests run only with tensorrt + an NVIDIA GPU.

Nothing on this project's machines has both, so everything below the first test has not been executed here.
"""
import subprocess
import sys

import pytest
import torch

from llava_ros.engine import GenerationSettings, create_engine, engine_names
from llava_ros.engine.parity import check_parity
from llava_ros.engine.tensorrt_engine import SKIP_REASON
from tests.tiny import save_tiny_checkpoint


def test_registering_the_engines_imports_neither_tensorrt_nor_onnxruntime():
    code = ("import sys, llava_ros.engine as e; assert {'tensorrt', 'onnx', 'remote'} <= set(e.engine_names()); "
            "print(sorted(m for m in ('tensorrt', 'onnxruntime') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]" and "tensorrt" in engine_names()


def _have_tensorrt() -> bool:
    try:
        import tensorrt  # noqa: F401
    except ImportError:
        return False
    return torch.cuda.is_available()


needs_trt = pytest.mark.skipif(not _have_tensorrt(), reason=SKIP_REASON)


@pytest.mark.skipif(_have_tensorrt(), reason="tensorrt and a GPU are present")
def test_without_tensorrt_the_error_names_what_is_missing(tmp_path):
    with pytest.raises((ImportError, RuntimeError), match=SKIP_REASON):
        create_engine("tensorrt", model_path=tmp_path)


@needs_trt
def test_fp32_engine_matches_torch_greedy_tokens_and_features(tmp_path):
    model_dir = save_tiny_checkpoint(tmp_path / "tiny")
    report = check_parity(model_dir, n_pairs=10, engine="tensorrt", precision="fp32", max_batch=4)
    assert report.ok, report


@needs_trt
def test_fp16_engine_answers_in_batches_and_caches_plans(tmp_path):
    model_dir = save_tiny_checkpoint(tmp_path / "tiny")
    engine = create_engine("tensorrt", model_path=model_dir, max_batch=4)
    results = engine.answer_batch([None] * 6, ["Hello"] * 6, GenerationSettings(max_new_tokens=4))
    assert len(results) == 6 and len({tuple(r.token_ids) for r in results}) == 1
    again = create_engine("tensorrt", model_path=model_dir, max_batch=4)
    assert again.plans == engine.plans and (engine.plans / "plans.json").is_file()
