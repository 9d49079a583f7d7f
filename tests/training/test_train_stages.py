"""Every stage config trains for real on tiny sim data: clip → llm → stage1 → stage2, 2 steps each.

The pipeline runs the shipped YAML files with tiny-model overrides, each stage starting from the
previous stage's output folder, exactly as the real recipe chains them. Also home of the helpers
the other trainer tests share (:func:`make_world`, the override lists).
"""
from pathlib import Path

import pytest
import torch
from transformers import CLIPVisionModel

from llava_ros.model import VisionConfig, VisionTower, load_pretrained
from training.data.generate import generate
from training.tokenizer import train_from_llava_json
from training.train.config import load_config
from training.train.metrics import read_metrics
from training.train.trainer import Trainer

CONFIGS = Path(__file__).resolve().parents[2] / "training" / "configs"
SEEDS = (3, 4, 5)
QUICK = ["run.max_steps=2", "run.progress=false", "run.threads=1", "optim.batch_size=2", "optim.micro_batch_size=1"]
TINY_VISION = ["model.vision.hidden_size=32", "model.vision.intermediate_size=64", "model.vision.num_hidden_layers=2",
               "model.vision.num_attention_heads=4", "model.vision.image_size=32", "model.vision.patch_size=8"]
TINY_TEXT = ["model.text.hidden_size=32", "model.text.intermediate_size=64", "model.text.num_hidden_layers=2",
             "model.text.num_attention_heads=4", "model.text.num_key_value_heads=2",
             "model.text.max_position_embeddings=1024"]
TINY_CLIP_TEXT = ["model.clip_text={hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, "
                  "num_attention_heads: 4}", "model.projection_dim=16"]


def make_world(root: Path) -> dict[str, Path]:
    """Three sim scenes at 64 px in LLaVA JSON + a BPE tokenizer trained on them."""
    paths = generate(SEEDS, root / "data", width=64, height=64, progress=False)
    tokenizer = train_from_llava_json([paths["stage1"], paths["stage2"]], vocab_size=600)
    tokenizer.save_pretrained(str(root / "tokenizer"))
    return {**paths, "tokenizer": root / "tokenizer", "root": root}


def stage_overrides(world: dict, stage: str, out: Path) -> list[str]:
    """Overrides that point a shipped config at the tiny world (and at the previous stage's output)."""
    root = world["root"]
    by_stage = {
        "clip": TINY_VISION + TINY_CLIP_TEXT + [f"model.tokenizer={world['tokenizer']}",
                                                f"data.train_json={world['stage1']}", "optim.micro_batch_size=2"],
        "llm": TINY_TEXT + [f"model.tokenizer={world['tokenizer']}",
                            f"data.train_json=[{world['stage1']}, {world['stage2']}]"],
        "stage1": [f"model.vision.pretrained_path={root / 'clip' / 'final'}",
                   f"model.text.pretrained_path={root / 'llm' / 'final'}", f"data.train_json={world['stage1']}"],
        "stage2": [f"model.init_from={root / 'stage1' / 'final'}", f"data.train_json={world['stage2']}"],
    }
    return QUICK + by_stage[stage] + [f"run.output_dir={out}"]


FILES = {"clip": "clip.yaml", "llm": "llm.yaml", "stage1": "stage1_pretrain.yaml", "stage2": "stage2_finetune.yaml"}


def run_stage(world: dict, stage: str, extra: list[str] = ()) -> dict:
    """Train a stage into ROOT/<stage>; returns the trainer, the state before and after, and the final folder."""
    cfg = load_config(CONFIGS / FILES[stage], stage_overrides(world, stage, world["root"] / stage) + list(extra))
    trainer = Trainer(cfg)
    before = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    final = trainer.train()
    trainer.close()
    after = trainer.model.state_dict()
    changed = {k for k in before if not torch.equal(before[k], after[k])}
    return {"trainer": trainer, "before": before, "after": after, "changed": changed, "final": final}


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory) -> dict:
    world = make_world(tmp_path_factory.mktemp("train"))
    runs = {}
    for stage in ("clip", "llm", "stage1", "stage2"):
        runs[stage] = run_stage(world, stage)
    return {"world": world, **runs}


def prefixes(names: set[str]) -> set[str]:
    return {n.split(".")[0] for n in names}


@pytest.mark.parametrize("stage", ["clip", "llm", "stage1", "stage2"])
def test_stage_runs_and_logs_finite_loss(pipeline, stage):
    run = pipeline[stage]
    out = pipeline["world"]["root"] / stage
    records = read_metrics(out / "metrics.jsonl")
    assert [r["step"] for r in records] == [1, 2]
    assert all(torch.isfinite(torch.tensor(r["loss"])) and r["tokens_per_s"] > 0 for r in records)
    assert (out / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (out / "config.yaml").is_file() and run["final"] == out / "final"
    assert run["changed"], f"{stage}: no parameter changed"


def test_clip_stage_trains_everything_and_saves_a_clip_vision_model(pipeline):
    run = pipeline["clip"]
    assert {"text_model", "vision_model", "visual_projection", "text_projection"} <= prefixes(run["changed"])
    vision = CLIPVisionModel.from_pretrained(run["final"], local_files_only=True)
    trained = run["trainer"].model.vision_model.state_dict()
    assert all(torch.equal(v, trained[k]) for k, v in vision.state_dict().items())
    tower = VisionTower.from_config(VisionConfig(pretrained_path=str(run["final"]), num_hidden_layers=2))
    assert tower(torch.zeros(1, 3, 32, 32)).shape == (1, 16, 32)  # 4 x 4 patches, CLS dropped


def test_stage1_trains_only_the_projector(pipeline):
    run = pipeline["stage1"]
    assert prefixes(run["changed"]) == {"projector"}
    assert run["changed"] == {k for k in run["before"] if k.startswith("projector.")}
    assert all(p.requires_grad == n.startswith("projector.") for n, p in run["trainer"].model.named_parameters())
    # The frozen parts are the clip and llm stage outputs, untouched.
    clip = pipeline["clip"]["trainer"].model.vision_model.state_dict()
    assert all(torch.equal(v, run["after"]["vision.clip." + k]) for k, v in clip.items())


def test_stage2_freezes_vision_and_trains_projector_and_llm(pipeline):
    run = pipeline["stage2"]
    assert prefixes(run["changed"]) == {"projector", "llm"}
    assert not any(k.startswith("vision.") for k in run["changed"])
    stage1_final = pipeline["stage1"]["after"]
    assert all(torch.equal(run["before"][k], v) for k, v in stage1_final.items())  # started from stage 1


def test_stage2_vision_trains_the_tower_too_at_its_own_lr(pipeline):
    world = pipeline["world"]
    overrides = stage_overrides(world, "stage2", world["root"] / "stage2_vision")
    cfg = load_config(CONFIGS / FILES["stage2"], overrides + ["run.stage=stage2_vision", "optim.vision_lr=1e-5"])
    trainer = Trainer(cfg)
    before = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    trainer.train()
    trainer.close()
    changed = {k for k, v in trainer.model.state_dict().items() if not torch.equal(before[k], v)}
    assert prefixes(changed) == {"vision", "projector", "llm"}
    # The first groups hold the projector and LLM at optim.lr (what the metrics log), the tower's follow.
    tower = {id(p) for p in trainer.model.vision.parameters()}
    groups = trainer.optimizer.param_groups
    assert [g["initial_lr"] for g in groups] == [cfg.optim.lr] * 2 + [1e-5] * 2
    assert [all(id(p) in tower for p in g["params"]) for g in groups] == [False, False, True, True]


def test_tower_phrases_tunes_only_the_tower_and_saves_the_checkpoint_around_it(pipeline):
    world, start = pipeline["world"], pipeline["stage2"]["final"]
    out = world["root"] / "tower_phrases"
    cfg = load_config(CONFIGS / "tower_phrases.yaml", QUICK + [
        f"model.init_from={start}", f"data.train_json={world['stage1']}", f"run.output_dir={out}",
        "optim.lr=1e-2", "optim.vision_lr=1e-3"])
    trainer = Trainer(cfg)
    before = {k: v.detach().clone() for k, v in trainer.model.state_dict().items()}
    final = trainer.train()
    trainer.close()
    changed = {k for k, v in trainer.model.state_dict().items() if not torch.equal(before[k], v)}
    assert prefixes(changed) == {"vision", "head"}
    groups = trainer.optimizer.param_groups  # the head at optim.lr, the tower at optim.vision_lr
    assert [g["initial_lr"] for g in groups] == [1e-2] * 2 + [1e-3] * 2
    # The saved folder is the stage-2 model with the tuned tower in place and no head.
    tuned, original = load_pretrained(final)[0].state_dict(), load_pretrained(start)[0].state_dict()
    assert tuned.keys() == original.keys()
    assert prefixes({k for k in tuned if not torch.equal(tuned[k], original[k])}) == {"vision"}
    assert all(torch.equal(tuned["vision." + k], v) for k, v in trainer.model.vision.state_dict().items())


def test_final_llava_folder_loads_and_scores(pipeline):
    model, tokenizer = load_pretrained(pipeline["stage2"]["final"])
    trainer = pipeline["stage2"]["trainer"]
    batch = trainer.collate([trainer.dataset[0]])
    with torch.no_grad():
        loss = model(batch["input_ids"], batch["pixel_values"], batch["attention_mask"], batch["labels"]).loss
        expected = trainer.model.eval()(batch["input_ids"], batch["pixel_values"], batch["attention_mask"],
                                        batch["labels"]).loss
    assert torch.isfinite(loss) and torch.allclose(loss, expected)
    assert len(tokenizer) == len(trainer.tokenizer) and model.config.template == "vicuna_v1"


def test_llm_stage_output_is_the_stage1_language_model(pipeline):
    llm = pipeline["llm"]["trainer"].model.state_dict()
    stage1_before = pipeline["stage1"]["before"]
    assert all(torch.equal(v, stage1_before["llm." + k]) for k, v in llm.items())


@pytest.mark.parametrize("override, key", [("model.box_unlikelihood=2.0", "negatives"),
                                           ("model.after_box_weight=2.0", "after_box")])
def test_stage2_with_an_extra_loss_term_adds_it_and_trains(pipeline, override, key):
    """The copied-box unlikelihood (box_negatives.py) and the after-box loss (after_box.py) raise a listing's loss."""
    world = pipeline["world"]
    out = world["root"] / f"stage2_{key}"
    cfg = load_config(CONFIGS / FILES["stage2"], stage_overrides(world, "stage2", out) + [override])
    trainer = Trainer(cfg)
    listed = next(i for i in range(len(trainer.dataset)) if len(trainer.dataset[i][key]))
    batch = trainer.collate([trainer.dataset[listed]])
    with torch.no_grad():
        extra = trainer.task.loss(trainer.model, batch, cfg)
        plain = trainer.task.loss(trainer.model, {k: v for k, v in batch.items() if k != key}, cfg)
    assert extra > plain > 0
    trainer.train()
    trainer.close()
    assert all(torch.isfinite(torch.tensor(r["loss"])) for r in read_metrics(out / "metrics.jsonl"))


def test_stage2_trains_on_moved_images(pipeline):
    """data.shift (shift_augment.py): the llava stages train on images moved with their boxes."""
    world = pipeline["world"]
    out = world["root"] / "stage2_shift"
    cfg = load_config(CONFIGS / FILES["stage2"], stage_overrides(world, "stage2", out) + ["data.shift=3"])
    trainer = Trainer(cfg)
    assert trainer.dataset.shift == 3
    trainer.train()
    trainer.close()
    assert [r["step"] for r in read_metrics(out / "metrics.jsonl")] == [1, 2]
    assert (out / "final" / "model.safetensors").is_file()
