"""What a LLaVA checkpoint's vision features say about each object: a linear probe for colour and shape.

    python -m training.probe_tower --model models/llava-ros-sim --train-seeds 0:300 --seeds 1000000000:1000000040

Takes the features the projector receives (the tower's selected layer, one vector per image token),
labels the patches under each visible object with `patch_phrases.patch_targets`, fits linear
classifiers for colour and shape on the training seeds, and reports their accuracy on the held-out
seeds (chance for shape: 0.25): once per patch, and once per object on the mean of its patches.
Unlike `training.probe_patches`, which needs a `clip_dense` run's text tower, this works on any
shipped checkpoint. The projector is linear, so when
the probe names shapes well and the model's answers do not, the LLM, not the tower, is what limits
them. ``--out`` writes the result as JSON.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from llava_ros.commandline import standalone_main
from llava_ros.model import ImageProcessor
from llava_ros.model.checkpoint import load_model
from sim.catalogue import COLOURS, SHAPES
from sim.seeds import parse_seed_range
from training.probe_patches import render
from training.train.patch_phrases import PHRASES, patch_targets

EPOCHS = 300  # full-batch Adam steps per classifier; the loss is flat long before
LEARNING_RATE = 0.05
COLOURS_INDEX = {c: i for i, c in enumerate(COLOURS)}


@torch.no_grad()
def object_patches(model, seeds: range, size: int, progress: bool) -> tuple[torch.Tensor, ...]:
    """Features (N, hidden) of every patch that shows an object, its colour and shape indices, and
    which object (a running index over all scenes) it belongs to."""
    processor = ImageProcessor(model.vision.config)
    grid = int(model.vision.num_image_tokens ** 0.5)
    if grid * grid != model.vision.num_image_tokens:
        raise ValueError(f"the probe needs a square patch grid; the tower gives {model.vision.num_image_tokens} tokens")
    features, colours, shapes, objects = [], [], [], []
    next_object = 0
    for seed in tqdm(seeds, desc="features", disable=not progress):
        rgb, caption = render(seed, size)
        targets = patch_targets(caption, grid)
        hidden = model.vision(processor(rgb))[0]
        keep = targets > 0
        features.append(hidden[keep].float())
        # a scene shows each phrase at most once (the sim samples distinct colour-shape pairs)
        ids = {index: next_object + k for k, index in enumerate(sorted(set(targets[keep].tolist())))}
        next_object += len(ids)
        for index in targets[keep].tolist():
            colour, shape = PHRASES[index].split()
            colours.append(COLOURS_INDEX[colour])
            shapes.append(SHAPES.index(shape))
            objects.append(ids[index])
    return torch.cat(features), torch.tensor(colours), torch.tensor(shapes), torch.tensor(objects)


def pool_objects(x: torch.Tensor, labels: torch.Tensor, objects: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """One row per object: the mean of its patches' features, and its label."""
    count = int(objects.max()) + 1
    sums = torch.zeros(count, x.shape[1]).index_add_(0, objects, x)
    sizes = torch.zeros(count).index_add_(0, objects, torch.ones(len(objects)))
    label = torch.zeros(count, dtype=torch.long).index_copy_(0, objects, labels)
    return sums / sizes[:, None], label


def fit_linear(x: torch.Tensor, y: torch.Tensor, classes: int, seed: int = 0) -> torch.nn.Linear:
    """A multinomial logistic regression on standardised features (full batch)."""
    torch.manual_seed(seed)
    head = torch.nn.Linear(x.shape[1], classes)
    optimiser = torch.optim.Adam(head.parameters(), lr=LEARNING_RATE)
    for _ in range(EPOCHS):
        optimiser.zero_grad()
        torch.nn.functional.cross_entropy(head(x), y).backward()
        optimiser.step()
    return head


def probe(model_dir: Path, train_seeds: range, test_seeds: range, size: int = 336, progress: bool = True,
          layer: int | None = None) -> dict:
    model = load_model(model_dir).eval()
    if layer is not None:  # probe another hidden state than the one the projector was trained on
        model.vision.config.select_layer = layer
    x_train, colour_train, shape_train, objects_train = object_patches(model, train_seeds, size, progress)
    x_test, colour_test, shape_test, objects_test = object_patches(model, test_seeds, size, progress)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-6
    x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    result = {"model": str(model_dir), "train_seeds": f"{train_seeds.start}:{train_seeds.stop}",
              "seeds": f"{test_seeds.start}:{test_seeds.stop}", "layer": model.vision.config.select_layer,
              "train_patches": len(x_train), "object_patches": len(x_test), "objects": int(objects_test.max()) + 1}
    for name, y_train, y_test, classes in (("colour", colour_train, colour_test, len(COLOURS)),
                                           ("shape", shape_train, shape_test, len(SHAPES))):
        for unit, (a, b), (c, d) in (
                ("patch", (x_train, y_train), (x_test, y_test)),
                ("object", pool_objects(x_train, y_train, objects_train), pool_objects(x_test, y_test, objects_test))):
            head = fit_linear(a, b, classes)
            with torch.no_grad():
                result[f"{unit}_{name}_train_accuracy"] = (head(a).argmax(-1) == b).float().mean().item()
                result[f"{unit}_{name}_accuracy"] = (head(c).argmax(-1) == d).float().mean().item()
    return result


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="a LLaVA checkpoint folder (any layout load_model reads)")
    parser.add_argument("--train-seeds", default="0:300", help="scene seeds A:B the classifiers are fitted on")
    parser.add_argument("--seeds", default="1000000000:1000000040", help="scene seeds A:B they are scored on")
    parser.add_argument("--size", type=int, default=336, help="render size in pixels (the sim's default)")
    parser.add_argument("--layer", type=int, help="the tower's hidden state to probe (default: the checkpoint's select layer)")
    parser.add_argument("--out", help="write the result here as JSON")
    parser.add_argument("--quiet", action="store_true")


def run(args: argparse.Namespace) -> int:
    result = probe(Path(args.model), parse_seed_range(args.train_seeds), parse_seed_range(args.seeds),
                   args.size, not args.quiet, args.layer)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    for unit, n, units in (("patch", result["object_patches"], "object patches"), ("object", result["objects"], "objects")):
        print(f"{unit} probe, {n} held-out {units}: colour {result[f'{unit}_colour_accuracy']:.3f} "
              f"(train {result[f'{unit}_colour_train_accuracy']:.3f}), shape {result[f'{unit}_shape_accuracy']:.3f} "
              f"(train {result[f'{unit}_shape_train_accuracy']:.3f}; chance 0.25)")
    return 0


def main(argv: list[str] | None = None) -> int:
    return standalone_main("python -m training.probe_tower", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
