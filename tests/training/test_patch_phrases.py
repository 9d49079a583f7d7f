"""Patch–phrase targets from caption boxes, the clip_dense stage training on them for real, and the probe."""
import json

import torch
from transformers import CLIPVisionModel

from training.probe_patches import main as probe_main
from training.train.config import load_config
from training.train.patch_phrases import BACKGROUND, PHRASES, patch_targets, phrase_class_weights, phrase_of
from training.train.trainer import Trainer
from tests.training.test_train_stages import CONFIGS, make_world, stage_overrides


def test_phrases_cover_the_catalogue_and_background():
    assert PHRASES[0] == BACKGROUND and len(PHRASES) == 1 + 6 * 4 and len(set(PHRASES)) == len(PHRASES)
    assert phrase_of("large red cube") == "red cube" and phrase_of("the object") is None


def test_each_box_labels_the_patches_under_it():
    caption = "A table with a large red cube [0.00, 0.00, 0.50, 0.50] and a small blue cone [0.55, 0.55, 0.60, 0.60]."
    grid = patch_targets(caption, 4).view(4, 4)
    red, blue = PHRASES.index("red cube"), PHRASES.index("blue cone")
    assert (grid[:2, :2] == red).all()  # centres 0.125 and 0.375 lie in [0, 0.5)
    assert grid[2, 2] == blue  # the tiny box holds no patch centre: the patch under its centre
    assert int((grid == 0).sum()) == 16 - 4 - 1


def test_smaller_boxes_win_where_boxes_overlap():
    caption = "a large green sphere [0.00, 0.00, 1.00, 1.00] and a small yellow cube [0.40, 0.40, 0.60, 0.60]"
    grid = patch_targets(caption, 2).view(2, 2)
    green, yellow = PHRASES.index("green sphere"), PHRASES.index("yellow cube")
    assert grid[1, 1] == yellow and (grid.flatten()[:3] == green).all()  # no centre inside: the one under its centre
    grid = patch_targets(caption, 5).view(5, 5)
    assert grid[2, 2] == yellow and int((grid == green).sum()) == 24


def test_clip_dense_stage_trains_both_losses_and_saves_a_vision_model(tmp_path):
    world = make_world(tmp_path)
    overrides = stage_overrides(world, "clip", tmp_path / "clip_dense")
    cfg = load_config(CONFIGS / "clip_dense.yaml", overrides + ["model.vision.image_size=32", "model.vision.patch_size=8",
                                                                "model.background_weight=0.25", "run.save_every=1"])
    trainer = Trainer(cfg)
    batch = trainer.collate([trainer.dataset[i] for i in range(2)])
    assert batch["patch_targets"].shape == (2, 16) and batch["patch_targets"].max() > 0
    with torch.no_grad():
        scene, dense = trainer.model(batch["input_ids"], batch["attention_mask"], batch["pixel_values"],
                                     batch["patch_targets"])
    assert torch.isfinite(scene) and dense > 0.5 * torch.log(torch.tensor(float(len(PHRASES))))  # untrained: near chance
    assert trainer.model.class_weights[0] == 0.25 and (trainer.model.class_weights[1:] == 1).all()
    with torch.no_grad():  # background patches count a quarter
        model = trainer.model
        vision = model.clip.vision_model(pixel_values=batch["pixel_values"])
        patches = model.clip.visual_projection(model.clip.vision_model.post_layernorm(vision.last_hidden_state[:, 1:]))
        logits = model.clip.logit_scale.exp() * torch.nn.functional.normalize(patches, dim=-1) @ \
            model.text_embeds(model.phrase_ids, model.phrase_mask).T
        per_patch = torch.nn.functional.cross_entropy(logits.flatten(0, 1), batch["patch_targets"].flatten(), reduction="none")
        w = torch.where(batch["patch_targets"].flatten() == 0, 0.25, 1.0)
    assert torch.allclose(dense, (per_patch * w).sum() / w.sum(), atol=1e-5)
    before = trainer.model.clip.vision_model.embeddings.patch_embedding.weight.detach().clone()
    final = trainer.train()
    trainer.close()
    saved = CLIPVisionModel.from_pretrained(final, local_files_only=True).state_dict()
    trained = trainer.model.clip.vision_model.state_dict()
    assert all(torch.equal(v, trained[k]) for k, v in saved.items())
    assert not torch.equal(before, trained["embeddings.patch_embedding.weight"])

    # The probe reads the newest checkpoint (both towers) and scores rendered scenes.
    run = tmp_path / "clip_dense"
    assert probe_main(["--run", str(run), "--seeds", "3:5", "--size", "64", "--quiet"]) == 0
    result = json.loads((run / "probe_patches.json").read_text())
    assert result["object_patches"] > 0 and result["checkpoint"].endswith("step_0000002")
    assert 0 <= result["phrase_accuracy"] <= min(result["colour_accuracy"], result["shape_accuracy"]) <= 1


def test_probe_refuses_runs_without_dense_checkpoints(tmp_path, capsys):
    assert probe_main(["--run", str(tmp_path), "--quiet"]) == 2
    assert "no checkpoints/step_*" in capsys.readouterr().err


def test_class_weights_lighten_only_the_table():
    weights = phrase_class_weights(0.05)
    assert weights.shape == (len(PHRASES),)
    expected = torch.ones(len(PHRASES))
    expected[PHRASES.index(BACKGROUND)] = 0.05
    assert torch.equal(weights, expected)
