"""Raise a checkpoint's input resolution: more patches of the same size, position tables resampled to the grid.

    python -m training.grow_resolution --model models/llava-ros-sim --image-size 336 --out runs/r336_grown

A ViT reads a larger image with the same patch size once its position embeddings are resampled to the larger
patch grid (Dosovitskiy et al. 2021, section 3.2; how CLIP ViT-L/14 became the 336-px tower of LLaVA-1.5).
This tool does that to a LLaVA checkpoint: the tower's patch position embeddings (the CLS row is kept) and a
``+pos2d`` projector's per-token table are resampled bicubically from the old grid to the new one, and the
config's ``image_size`` becomes ``--image-size``. The LLM is unchanged; it reads (new/old)² times the image
tokens, each covering a smaller part of the scene.

Unlike ``grow_llm``, ``widen_llm`` and ``grow_projector`` this does not keep what the model computes: the same
object now spans more patches, so a stage-2 pass from ``--out`` adapts the projector and the LLM to it. The LLM's
``max_position_embeddings`` stays as it was: at 336 px, 576 image tokens leave 448 of the shipped model's 1,024
positions for the prompt and the answer (v61 trained with ``data.max_length=448``).
"""
from __future__ import annotations

import dataclasses
import sys

import torch
import torch.nn.functional as F

from llava_ros.model.llava import LlavaModel
from llava_ros.model.projector import PositionalProjector
from training.grown_checkpoint import growth_parser, write_grown

TOWER_POSITIONS = "vision.clip.embeddings.position_embedding.weight"
PROJECTOR_POSITIONS = "projector.position"


def resample_grid(table: torch.Tensor, old: int, new: int) -> torch.Tensor:
    """(old², D) row-major grid of vectors → (new², D), bicubic on the grid (pixel centres aligned)."""
    if table.shape[0] != old * old:
        raise ValueError(f"a {old} x {old} grid has {old * old} rows, the table has {table.shape[0]}")
    grid = table.T.reshape(1, table.shape[1], old, old).float()
    out = F.interpolate(grid, size=(new, new), mode="bicubic", align_corners=False)
    return out.reshape(table.shape[1], new * new).T.to(table.dtype).contiguous()


def grow_resolution(model: LlavaModel, image_size: int) -> LlavaModel:
    """A new LlavaModel that takes ``image_size``-pixel images with ``model``'s patch size and weights."""
    vision = model.config.vision
    if image_size % vision.patch_size:
        raise ValueError(f"--image-size {image_size} is not a multiple of the patch size {vision.patch_size}")
    if image_size <= vision.image_size:
        raise ValueError(f"--image-size {image_size} must exceed the checkpoint's {vision.image_size}")
    config = dataclasses.replace(model.config, vision=dataclasses.replace(vision, image_size=image_size))
    grown = LlavaModel.from_config(config)
    old, new = vision.image_size // vision.patch_size, image_size // vision.patch_size
    state = model.state_dict()
    tower = state[TOWER_POSITIONS]
    state[TOWER_POSITIONS] = torch.cat([tower[:1], resample_grid(tower[1:], old, new)])
    if isinstance(model.projector, PositionalProjector):
        state[PROJECTOR_POSITIONS] = resample_grid(state[PROJECTOR_POSITIONS], old, new)
    grown.load_state_dict(state)
    return grown.to(model.device).eval()


def describe(model: LlavaModel, grown: LlavaModel) -> str:
    return (f"image {model.config.vision.image_size} -> {grown.config.vision.image_size} px, "
            f"{model.num_image_tokens} -> {grown.num_image_tokens} image tokens")


def main(argv: list[str] | None = None) -> int:
    parser = growth_parser(__doc__, "a LLaVA checkpoint folder")
    parser.add_argument("--image-size", type=int, required=True,
                        help="new input size in pixels (a multiple of the patch)")
    args = parser.parse_args(argv)
    return write_grown("grow_resolution", args.model, args.out, lambda m: grow_resolution(m, args.image_size), describe)


if __name__ == "__main__":
    sys.exit(main())
