"""Which object a vision tower's patches show: zero-shot patch–phrase accuracy of a `clip_dense` run.

    python -m training.probe_patches --run runs/v3/clip --seeds 1000000000:1000000040

Renders each seed's scene (held-out seeds are fine: nothing trains here), labels the patches under each
visible object with `patch_phrases.patch_targets`, and asks the run's newest checkpoint (vision and text
towers, which only the checkpoints keep) which of `PHRASES` each of those patches shows. Reports accuracy
on the full phrase, the colour and the shape (chance for shape: 0.25). A low shape number says that the
vision tower, not the LLM, keeps LLaVA from naming shapes. Writes RUN/probe_patches.json.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from safetensors.torch import load_file
from tqdm import tqdm

from llava_ros.boxes import format_box
from llava_ros.eval.benchmarks.heldout import render_truth
from llava_ros.model import ImageProcessor
from sim.seeds import parse_seed_range
from training.train.checkpointing import latest_checkpoint
from training.train.config import load_config
from training.train.patch_phrases import PHRASES, patch_targets
from training.train.tasks import get_task


def render(seed: int, size: int) -> tuple:
    """A scene's image and a caption naming every visible object with its box (what patch_targets reads)."""
    rgb, truth = render_truth(seed, size, size)
    caption = ", ".join(f"a {o['label']} {format_box(o['bbox_xyxy'], size, size)}"
                        for o in truth["objects"] if o["bbox_xyxy"] is not None)
    return rgb, caption


def load_dense_clip(run: Path):
    checkpoint = latest_checkpoint(run)
    if checkpoint is None:
        raise FileNotFoundError(f"{run} has no checkpoints/step_*; the probe needs a clip_dense training checkpoint")
    cfg = load_config(run / "config.yaml", [])
    if cfg.run.stage != "clip_dense":
        raise ValueError(f"{run} trained stage {cfg.run.stage!r}; the probe needs a clip_dense run (text tower + phrases)")
    model, _ = get_task("dense_clip").build(cfg)
    model.load_state_dict(load_file(checkpoint / "model.safetensors"))
    return model.eval(), cfg, checkpoint


@torch.no_grad()
def probe(run: Path, seeds: range, size: int = 336, progress: bool = True) -> dict:
    model, cfg, checkpoint = load_dense_clip(run)
    processor = ImageProcessor(cfg.model.vision)
    grid = cfg.model.vision.image_size // cfg.model.vision.patch_size
    phrases = model.text_embeds(model.phrase_ids, model.phrase_mask)
    counts = {"patches": 0, "phrase": 0, "colour": 0, "shape": 0}
    for seed in tqdm(seeds, desc="probe", disable=not progress):
        rgb, caption = render(seed, size)
        targets = patch_targets(caption, grid)
        hidden = model.clip.vision_model(pixel_values=processor(rgb)).last_hidden_state
        predicted = (model.patch_embeds(hidden) @ phrases.T).argmax(-1)[0]
        for got, want in zip(predicted[targets > 0].tolist(), targets[targets > 0].tolist()):
            got_words, want_words = PHRASES[got].split(), PHRASES[want].split()
            counts["patches"] += 1
            counts["phrase"] += got == want
            counts["colour"] += got_words[0] == want_words[0]
            counts["shape"] += got_words[-1] == want_words[-1]
    n = max(counts["patches"], 1)
    return {"run": str(run), "checkpoint": str(checkpoint), "seeds": f"{seeds.start}:{seeds.stop}",
            "object_patches": counts["patches"], **{f"{k}_accuracy": counts[k] / n for k in ("phrase", "colour", "shape")}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.probe_patches", description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="a clip_dense output folder (with checkpoints/)")
    parser.add_argument("--seeds", default="1000000000:1000000040", help="scene seeds A:B")
    parser.add_argument("--size", type=int, default=336, help="render size in pixels (the sim's default)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        result = probe(Path(args.run), parse_seed_range(args.seeds), args.size, not args.quiet)
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    (Path(args.run) / "probe_patches.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{result['object_patches']} object patches: phrase {result['phrase_accuracy']:.3f}, "
          f"colour {result['colour_accuracy']:.3f}, shape {result['shape_accuracy']:.3f} (chance 0.25)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
