"""run.device: CPU by default, a clear error where CUDA is asked for and missing, and (on a GPU machine)
the same first-step loss on CUDA as on CPU."""
import pytest
import torch

from training.train.config import load_config
from training.train.metrics import read_metrics
from training.train.placement import resolve_device, to_device
from training.train.trainer import Trainer
from tests.training.test_train_stages import CONFIGS, FILES, make_world, stage_overrides

NO_CUDA = not torch.cuda.is_available()


def test_auto_is_cuda_exactly_where_cuda_is_available():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu")


@pytest.mark.skipif(not NO_CUDA, reason="checks the error on a machine without CUDA")
def test_asking_for_cuda_without_a_gpu_is_an_error_not_a_silent_cpu_run():
    with pytest.raises(RuntimeError, match="sees no CUDA GPU"):
        resolve_device("cuda")


def test_unknown_device_names_are_refused_by_the_config():
    with pytest.raises(ValueError, match="device must be one of"):
        load_config(CONFIGS / "stage2_finetune.yaml", ["run.device=tpu"])


def test_cpu_batches_are_passed_through_and_none_entries_survive_a_move():
    batch = {"input_ids": torch.ones(2, 3, dtype=torch.long), "pixel_values": None}
    assert to_device(batch, torch.device("cpu")) is batch
    moved = to_device(batch, resolve_device("auto"))
    assert moved["pixel_values"] is None and torch.equal(moved["input_ids"].cpu(), batch["input_ids"])


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("device"))


def first_loss(world, stage: str, device: str) -> float:
    out = world["root"] / f"{stage}_{device}"
    cfg = load_config(CONFIGS / FILES[stage], stage_overrides(world, stage, out) + ["run.max_steps=1", f"run.device={device}"])
    trainer = Trainer(cfg)
    assert next(trainer.model.parameters()).device.type == device
    trainer.train()
    trainer.close()
    return read_metrics(out / "metrics.jsonl")[0]["loss"]


@pytest.mark.skipif(NO_CUDA, reason="needs a CUDA GPU (this machine has none)")
@pytest.mark.parametrize("stage", ["clip", "llm"])
def test_a_cuda_step_has_the_loss_of_a_cpu_step(world, stage):
    assert first_loss(world, stage, "cuda") == pytest.approx(first_loss(world, stage, "cpu"), rel=1e-3)
