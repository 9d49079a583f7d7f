import pytest
import torch

from llava_ros.model import VisionConfig, VisionTower

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32, patch_size=8)


def test_penultimate_layer_without_cls():
    torch.manual_seed(0)
    tower = VisionTower(VisionConfig(**TINY)).eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        ref = tower.clip(x, output_hidden_states=True).hidden_states[-2][:, 1:]
        out = tower(x)
    assert out.shape == (2, 16, 32) == (2, tower.num_image_tokens, 32)
    torch.testing.assert_close(out, ref, rtol=0, atol=0)


def test_cls_patch_and_last_layer():
    tower = VisionTower(VisionConfig(**TINY, select_layer=-1, select_feature="cls_patch")).eval()
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        ref = tower.clip(x, output_hidden_states=True).hidden_states[-1]
        out = tower(x)
    assert out.shape == (1, 17, 32) and tower.num_image_tokens == 17
    torch.testing.assert_close(out, ref, rtol=0, atol=0)


def test_pretrained_folder(tmp_path):
    torch.manual_seed(0)
    source = VisionTower(VisionConfig(**TINY)).eval()
    source.clip.save_pretrained(tmp_path)
    loaded = VisionTower.from_config(VisionConfig(pretrained_path=str(tmp_path))).eval()
    assert loaded.config.hidden_size == 32 and loaded.config.image_size == 32
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(loaded(x), source(x), rtol=0, atol=0)


@pytest.mark.parametrize("bad, match", [
    (dict(select_feature="cls"), "select_feature must be one of"),
    (dict(image_aspect="anyres"), "image_aspect must be one of"),
    (dict(select_layer=5), "select_layer 5 out of range"),
    (dict(patch_size=7), "not a multiple of patch_size 7"),
])
def test_config_errors(bad, match):
    with pytest.raises(ValueError, match=match):
        VisionConfig(**{**TINY, **bad})


def test_bad_pixel_shape():
    tower = VisionTower(VisionConfig(**TINY))
    with pytest.raises(ValueError, match=r"\(num_images, 3, H, W\), got \(3, 32, 32\)"):
        tower(torch.randn(3, 32, 32))
