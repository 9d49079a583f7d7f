"""bench/latency.py: the CPU table on the tiny checkpoint (1 repeat) and the clear refusal of --gpu-7b without CUDA."""
import json

import pytest
import torch

from bench import latency
from tests.tiny import save_tiny_checkpoint


def test_cpu_bench_writes_json_and_markdown(tmp_path, capsys):
    model = save_tiny_checkpoint(tmp_path / "tiny")
    assert latency.main(["--model", str(model), "--engines", "torch,onnx", "--repeats", "1",
                         "--out", str(tmp_path / "out")]) == 0
    result = json.loads((tmp_path / "out" / "latency-tiny.json").read_text())
    assert set(result["rows"]) == {"torch", "onnx", "stock (LlavaForConditionalGeneration.generate)"}
    assert result["rows"]["onnx"]["same_tokens"] == "8/8" and result["rows"]["torch"]["same_tokens"] == "8/8"
    assert "| onnx |" in (tmp_path / "out" / "latency-tiny.md").read_text() and "e2e × stock" in capsys.readouterr().out


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present; the refusal is for machines without it")
def test_gpu_mode_refuses_without_cuda(capsys):
    assert latency.main(["--gpu-7b"]) == 2
    assert "--gpu-7b needs an NVIDIA GPU" in capsys.readouterr().err
