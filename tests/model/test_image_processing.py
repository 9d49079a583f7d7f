import numpy as np
import pytest
import torch
from PIL import Image

from llava_ros.model import ImageProcessor, VisionConfig
from llava_ros.model.config import CLIP_MEAN, CLIP_STD

TINY = dict(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4, image_size=32, patch_size=8)


def reference_square(image: np.ndarray, size: int) -> torch.Tensor:
    """CLIPImageProcessor by hand: bicubic resize of the shortest side, centre crop, rescale, normalise."""
    pil = Image.fromarray(image)
    w, h = pil.size
    new_w, new_h = (size, int(size * h / w)) if w <= h else (int(size * w / h), size)
    pil = pil.resize((new_w, new_h), Image.BICUBIC)
    left, top = (new_w - size) // 2, (new_h - size) // 2
    arr = np.asarray(pil.crop((left, top, left + size, top + size)), dtype=np.float32) / 255.0
    arr = (arr - np.array(CLIP_MEAN, np.float32)) / np.array(CLIP_STD, np.float32)
    return torch.from_numpy(arr.transpose(2, 0, 1))


def test_square_matches_clip_recipe():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (48, 80, 3), dtype=np.uint8)
    out = ImageProcessor(VisionConfig(**TINY))([image, image])
    assert out.shape == (2, 3, 32, 32) and out.dtype == torch.float32
    torch.testing.assert_close(out[0], reference_square(image, 32), atol=2e-2, rtol=0)


def test_pad_fills_with_mean_colour():
    image = np.full((16, 64, 3), 255, dtype=np.uint8)  # wide white strip
    out = ImageProcessor(VisionConfig(**TINY, image_aspect="pad"))(image)
    assert out.shape == (1, 3, 32, 32)
    # top and bottom bands are the mean colour -> ~0 after normalisation; the middle is white
    assert out[0, :, :4].abs().max() < 0.02 and out[0, :, -4:].abs().max() < 0.02
    assert (out[0, :, 14:18] > 1.5).all()


@pytest.mark.parametrize("image, match", [
    (np.zeros((8, 8, 3), np.float32), "dtype must be uint8, got float32"),
    (np.zeros((8, 8), np.uint8), r"shape \(H, W, 3\), got \(8, 8\)"),
    (np.zeros((8, 8, 4), np.uint8), r"shape \(H, W, 3\), got \(8, 8, 4\)"),
    (np.zeros((0, 8, 3), np.uint8), "image is empty"),
    ([[1, 2, 3]], "numpy array or PIL image, got list"),
])
def test_bad_images(image, match):
    with pytest.raises(ValueError, match=match):
        ImageProcessor(VisionConfig(**TINY))([image])
