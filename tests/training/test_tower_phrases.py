"""TowerPhrases: a real tiny CLIP tower learns patch phrases; bad towers and targets get clear errors."""
import pytest
import torch

from llava_ros.model import VisionConfig, VisionTower
from training.train.patch_phrases import PHRASES
from training.train.tower_phrases import TowerPhrases

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32,
            patch_size=8)


def tiny_tower(**overrides) -> VisionTower:
    torch.manual_seed(0)
    return VisionTower(VisionConfig(**{**TINY, **overrides}))


def test_head_reads_the_features_the_projector_receives():
    model = TowerPhrases(tiny_tower())
    pixels = torch.randn(2, 3, 32, 32)
    assert model.grid == 4
    logits = model.logits(pixels)
    assert logits.shape == (2, 16, len(PHRASES))
    torch.testing.assert_close(logits, model.head(model.vision(pixels)))


def test_tower_and_head_learn_which_patch_shows_which_phrase():
    model = TowerPhrases(tiny_tower(), background_weight=0.05)
    torch.manual_seed(1)
    pixels = torch.randn(4, 3, 32, 32)
    targets = torch.zeros(4, 16, dtype=torch.long)
    targets[0, 5], targets[1, 10], targets[2, 0], targets[3, 15] = 3, 7, 12, 24
    optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
    first = model(pixels, targets).item()
    for _ in range(60):
        optimiser.zero_grad()
        loss = model(pixels, targets)
        loss.backward()
        optimiser.step()
    assert loss.item() < first / 4
    with torch.no_grad():
        predicted = model.logits(pixels).argmax(-1)
    assert [predicted[0, 5], predicted[1, 10], predicted[2, 0], predicted[3, 15]] == [3, 7, 12, 24]


def test_background_weight_scales_the_table_patches_down():
    tower = tiny_tower()
    pixels, targets = torch.randn(1, 3, 32, 32), torch.zeros(1, 16, dtype=torch.long)
    targets[0, 0] = 5
    full, light = TowerPhrases(tower), TowerPhrases(tower)
    light.head.load_state_dict(full.head.state_dict())
    light.class_weights[0] = 0.05
    with torch.no_grad():
        per_patch = torch.nn.functional.cross_entropy(full.logits(pixels)[0], targets[0], reduction="none")
        expected = (per_patch[0] + 0.05 * per_patch[1:].sum()) / (1 + 0.05 * 15)
        torch.testing.assert_close(light(pixels, targets), expected)
        torch.testing.assert_close(full(pixels, targets), per_patch.mean())


def test_a_tower_that_keeps_its_cls_token_is_refused():
    with pytest.raises(ValueError, match="17 tokens"):
        TowerPhrases(tiny_tower(select_feature="cls_patch"))


def test_targets_for_another_grid_are_refused():
    model = TowerPhrases(tiny_tower())
    with pytest.raises(ValueError, match=r"patch_targets \(1, 64\) do not match"):
        model(torch.randn(1, 3, 32, 32), torch.zeros(1, 64, dtype=torch.long))


def test_background_weight_must_be_positive():
    with pytest.raises(ValueError, match="background_weight must be > 0"):
        TowerPhrases(tiny_tower(), background_weight=0)


def test_the_anchor_holds_the_features_near_the_starting_towers():
    torch.manual_seed(1)
    pixels = torch.randn(4, 3, 32, 32)
    targets = torch.randint(1, len(PHRASES), (4, 16))
    with torch.no_grad():
        start = tiny_tower()(pixels)
    drift = {}
    for weight in (0.0, 10.0):
        model = TowerPhrases(tiny_tower(), anchor_weight=weight)
        optimiser = torch.optim.Adam(model.parameters(), lr=3e-3)
        for _ in range(40):
            optimiser.zero_grad()
            model(pixels, targets).backward()
            optimiser.step()
        with torch.no_grad():
            drift[weight] = ((model.vision(pixels) - start).norm() / start.norm()).item()
            reference = model.reference(pixels) if weight else None
        if weight:
            torch.testing.assert_close(reference, start)  # the copy never trained
    assert drift[10.0] < drift[0.0] / 2, drift


def test_the_anchor_term_is_the_relative_squared_distance():
    model = TowerPhrases(tiny_tower(), anchor_weight=0.5)
    assert not any(p.requires_grad for p in model.reference.parameters())
    model.train()
    assert model.vision.training and not model.reference.training
    pixels, targets = torch.randn(2, 3, 32, 32), torch.zeros(2, 16, dtype=torch.long)
    with torch.no_grad():
        unmoved = model(pixels, targets)
        torch.testing.assert_close(unmoved, torch.nn.functional.cross_entropy(
            model.logits(pixels).flatten(0, 1), targets.flatten()))  # zero distance at the start
        for p in model.vision.parameters():
            p.add_(0.01 * torch.randn_like(p))
        features, reference = model.vision(pixels), model.reference(pixels)
        expected = torch.nn.functional.cross_entropy(model.head(features).flatten(0, 1), targets.flatten()) + \
            0.5 * (features - reference).pow(2).sum() / reference.pow(2).sum()
        torch.testing.assert_close(model(pixels, targets), expected)


def test_anchor_weight_must_not_be_negative():
    with pytest.raises(ValueError, match="anchor_weight must be >= 0"):
        TowerPhrases(tiny_tower(), anchor_weight=-1)
