"""The trainer under torchrun: 2 CPU processes on gloo give the same run as 1 process accumulating 2 micro-batches."""
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from transformers import AutoModelForCausalLM

from tests.training.test_train_stages import CONFIGS, make_world, stage_overrides
from training.train.config import load_config
from training.train.metrics import read_metrics
from training.train.trainer import Trainer

REPO = Path(__file__).resolve().parents[2]
PLAN = ["optim.warmup_ratio=0", "run.save_every=2"]  # batch 2 = 2 ranks x 1, or 1 process x 2 accumulated


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("ddp"))


def test_two_gloo_processes_match_one_process(world):
    single_dir, ddp_dir = world["root"] / "single", world["root"] / "ddp"
    single = Trainer(load_config(CONFIGS / "llm.yaml", stage_overrides(world, "llm", single_dir) + PLAN))
    assert single.cfg.grad_accum_steps == 2
    single.train()

    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "training.train", "--config", str(CONFIGS / "llm.yaml"),
           "--set", *stage_overrides(world, "llm", ddp_dir), *PLAN]
    proc = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    for rank in (0, 1):  # both ranks trained, each on its half of every batch
        assert f"[rank {rank}/2] llm on cpu: 12 samples, 6 per epoch on this rank, 2 steps of 2 (grad accumulation 1)" \
            in proc.stderr
        assert f"[rank {rank}/2] done at step 2" in proc.stderr
    assert f"saved {ddp_dir / 'final'}" in proc.stderr and "final model:" in proc.stdout

    # Only rank 0 wrote: one metrics line per step, one checkpoint, one final folder.
    ddp, ref = read_metrics(ddp_dir / "metrics.jsonl"), read_metrics(single_dir / "metrics.jsonl")
    assert [r["step"] for r in ddp] == [1, 2]
    assert (ddp_dir / "checkpoints" / "step_0000002" / "model.safetensors").is_file()
    for a, b in zip(ddp, ref):  # same samples per step, gradients averaged over ranks = accumulated
        assert a["tokens"] == b["tokens"] and a["lr"] == b["lr"]
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-5)
    reloaded = AutoModelForCausalLM.from_pretrained(ddp_dir / "final", local_files_only=True).state_dict()
    for key, value in single.model.state_dict().items():
        assert torch.allclose(value, reloaded[key], atol=1e-5), key
