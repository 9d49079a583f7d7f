"""Camera image (H×W×3 uint8 RGB) → CLIP-normalised pixel tensor.

`square` is CLIPImageProcessor's default: resize the shortest side to
`image_size` (bicubic), centre-crop, rescale 1/255, normalise with the CLIP
mean/std. `pad` is LLaVA-1.5's `image_aspect_ratio pad`
(haotian-liu/LLaVA `llava/mm_utils.py`, `expand2square`): paste the image
centred on a square canvas filled with the mean colour
`tuple(int(x*255) for x in image_mean)`, then the same processor.

The processor is transformers' PIL backend (`CLIPImageProcessorPil`), which
needs no torchvision and no hub access.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import torch
from PIL import Image
from transformers import CLIPImageProcessorPil

from .config import VisionConfig


def expand2square(image: Image.Image, background: tuple[int, int, int]) -> Image.Image:
    """Pad to a square with `background`, image centred (llava/mm_utils.py)."""
    width, height = image.size
    if width == height:
        return image
    side = max(width, height)
    result = Image.new(image.mode, (side, side), background)
    result.paste(image, ((side - width) // 2, (side - height) // 2))
    return result


def to_pil(image: np.ndarray | Image.Image) -> Image.Image:
    """Validate an H×W×3 uint8 RGB array (or PIL image) and return an RGB PIL image."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    if not isinstance(image, np.ndarray):
        raise ValueError(f"image must be a numpy array or PIL image, got {type(image).__name__}")
    if image.dtype != np.uint8:
        raise ValueError(f"image dtype must be uint8, got {image.dtype}")
    if image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"image must have shape (H, W, 3), got {image.shape}")
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"image is empty: shape {image.shape}")
    return Image.fromarray(np.ascontiguousarray(image))


class ImageProcessor:
    """Callable: list of images → (num_images, 3, image_size, image_size) float tensor."""

    def __init__(self, config: VisionConfig):
        self.config = config
        size = config.image_size
        self.clip = CLIPImageProcessorPil(
            size={"shortest_edge": size},
            crop_size={"height": size, "width": size},
            image_mean=list(config.image_mean),
            image_std=list(config.image_std),
        )
        self.pad_colour = tuple(int(x * 255) for x in config.image_mean)

    def __call__(self, images: Sequence[np.ndarray | Image.Image] | np.ndarray | Image.Image) -> torch.Tensor:
        if isinstance(images, (np.ndarray, Image.Image)):
            images = [images]
        if len(images) == 0:
            raise ValueError("no images given")
        pils = [to_pil(im) for im in images]
        if self.config.image_aspect == "pad":
            pils = [expand2square(im, self.pad_colour) for im in pils]
        return self.clip(images=pils, return_tensors="pt")["pixel_values"]
