"""--resume continues exactly: same step, same data order, same next losses as an uninterrupted run."""
import shutil

import pytest

from tests.training.test_train_stages import CONFIGS, make_world, run_stage, stage_overrides
from training.train.__main__ import main
from training.train.checkpointing import list_checkpoints, read_state
from training.train.config import load_config
from training.train.metrics import read_metrics
from training.train.trainer import Trainer

LONGER = ["run.max_steps=4", "run.save_every=2", "run.keep_checkpoints=2", "optim.warmup_ratio=0.3"]


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    world = make_world(tmp_path_factory.mktemp("resume"))
    for stage in ("clip", "llm", "stage1"):  # stage 2 starts from a real stage-1 folder
        run_stage(world, stage)
    return world


def test_resume_matches_uninterrupted_run(world):
    full = world["root"] / "stage2_full"
    cfg = load_config(CONFIGS / "stage2_finetune.yaml",
                      stage_overrides(world, "stage2", full) + LONGER + ["optim.micro_batch_size=1"])
    Trainer(cfg).train()
    assert [p.name for p in list_checkpoints(full)] == ["step_0000002", "step_0000004"]
    assert read_state(list_checkpoints(full)[0])["step"] == 2

    # An interrupted copy: the run died after its step-2 checkpoint.
    cut = world["root"] / "stage2_cut"
    shutil.copytree(full, cut)
    shutil.rmtree(cut / "checkpoints" / "step_0000004")
    shutil.rmtree(cut / "final")
    argv = ["--config", str(CONFIGS / "stage2_finetune.yaml"), "--resume", "--set",
            *stage_overrides(world, "stage2", cut), *LONGER]
    assert main(argv) == 0

    expected, resumed = read_metrics(full / "metrics.jsonl"), read_metrics(cut / "metrics.jsonl")
    assert [r["step"] for r in resumed] == [1, 2, 3, 4]
    for a, b in zip(expected, resumed):
        assert (a["step"], a["epoch"], a["lr"], a["tokens"]) == (b["step"], b["epoch"], b["lr"], b["tokens"])
        assert a["loss"] == pytest.approx(b["loss"], abs=1e-6)
    assert (cut / "final" / "model.safetensors").read_bytes() == (full / "final" / "model.safetensors").read_bytes()


def test_resume_without_checkpoint_or_with_changed_plan_fails(world):
    out = world["root"] / "stage2_none"
    cfg = load_config(CONFIGS / "stage2_finetune.yaml", stage_overrides(world, "stage2", out))
    with pytest.raises(FileNotFoundError, match="no checkpoint under .*stage2_none/checkpoints"):
        Trainer(cfg, resume=True)
    full = world["root"] / "stage2_full"
    checkpoint = list_checkpoints(full)[0]
    cfg = load_config(CONFIGS / "stage2_finetune.yaml", stage_overrides(world, "stage2", out) + LONGER[1:])
    with pytest.raises(ValueError, match="it has total_steps=4, this run has 2"):
        Trainer(cfg, resume=checkpoint)
