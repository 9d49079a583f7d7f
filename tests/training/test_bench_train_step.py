"""bench/train_step.py: the real trainer timed on a tiny scale, and its refusals."""
import json

import pytest
import torch

from bench import train_step


def test_tiny_scale_writes_json_and_markdown(tmp_path, capsys):
    assert train_step.main(["--scales", "tiny", "--steps", "1", "--scenes", "2", "--out", str(tmp_path)]) == 0
    result = json.loads((tmp_path / "train_step-cpu.json").read_text())
    row = result["rows"]["tiny"]
    assert row["image_tokens"] == 16 and row["scale"]["hidden"] == 32
    # one layer of width 32 with a 64-unit MLP, 1,091-token vocabulary: embeddings + LM head dominate
    assert 2 * 1091 * 32 < row["llm_params"] < 2 * 1091 * 32 + 20_000
    assert row["s_per_step"] > 0 and row["text_tokens_per_step"] > 16
    table = (tmp_path / "train_step-cpu.md").read_text()
    assert "| tiny | 32 x 1 |" in table and "| tiny | 32 x 1 |" in capsys.readouterr().out


def test_unknown_scale_is_refused(capsys):
    assert train_step.main(["--scales", "shipped,huge"]) == 2
    assert "unknown scales ['huge']" in capsys.readouterr().err


@pytest.mark.skipif(torch.cuda.is_available(), reason="CUDA is present; the refusal is for machines without it")
def test_cuda_is_refused_without_a_gpu(capsys):
    assert train_step.main(["--device", "cuda"]) == 2
    assert "--device cuda needs an NVIDIA GPU" in capsys.readouterr().err
