"""The linear probe of a checkpoint's vision features: patch labels from rendered scenes, pooling, fitting."""
import json

import torch

from llava_ros.model.checkpoint import load_model
from training.probe_tower import fit_linear, main as probe_main, object_patches, pool_objects
from tests.tiny import save_tiny_checkpoint


def test_fit_linear_separates_separable_classes():
    torch.manual_seed(0)
    y = torch.arange(3).repeat(40)
    x = torch.randn(120, 5) * 0.1
    x[torch.arange(120), y] += 3.0  # class k shows up in feature k
    head = fit_linear(x, y, 3)
    assert (head(x).argmax(-1) == y).all()


def test_pool_objects_averages_each_objects_patches():
    x = torch.tensor([[1.0, 0.0], [3.0, 2.0], [5.0, 5.0]])
    pooled, labels = pool_objects(x, torch.tensor([2, 2, 1]), torch.tensor([0, 0, 1]))
    assert torch.equal(pooled, torch.tensor([[2.0, 1.0], [5.0, 5.0]])) and labels.tolist() == [2, 1]


def test_object_patches_number_objects_across_scenes(tmp_path):
    model = load_model(save_tiny_checkpoint(tmp_path / "tiny")).eval()
    x, colours, shapes, objects = object_patches(model, range(3, 6), size=64, progress=False)
    assert len(x) == len(colours) == len(shapes) == len(objects) > 0
    assert x.shape[1] == model.vision.hidden_size
    ids = objects.unique()
    assert ids.tolist() == list(range(len(ids)))  # dense ids, none shared between scenes
    for k in ids:  # an object's patches agree on its colour and shape
        assert colours[objects == k].unique().numel() == 1 and shapes[objects == k].unique().numel() == 1


def test_probe_command_writes_accuracies(tmp_path, capsys):
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    out = tmp_path / "probe.json"
    assert probe_main(["--model", str(folder), "--train-seeds", "0:4", "--seeds", "1000000000:1000000002",
                       "--size", "64", "--out", str(out), "--quiet"]) == 0
    result = json.loads(out.read_text())
    assert result["object_patches"] >= result["objects"] > 0
    for key in ("patch_colour_accuracy", "patch_shape_accuracy", "object_colour_accuracy", "object_shape_accuracy"):
        assert 0.0 <= result[key] <= 1.0
    assert "held-out objects" in capsys.readouterr().out


def test_probe_command_names_a_missing_model(tmp_path, capsys):
    assert probe_main(["--model", str(tmp_path / "nowhere"), "--quiet"]) == 2
    assert "error:" in capsys.readouterr().err
