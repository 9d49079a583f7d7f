"""Does an engine give the torch engine's greedy answers? The check behind the "every engine agrees" bar.

    python -m llava_ros.engine.parity --model models/llava-ros-sim --engine onnx --pairs 50

Builds `n_pairs` deterministic image/prompt pairs (synthetic tabletop-like images: coloured boxes on a
background), answers each greedily with the torch engine and with `engine`, and compares token ids; for local
engines it also compares the vision+projector features (max |Δ|). Exits 1 when anything differs.
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from llava_ros.engine import create_engine
from llava_ros.engine.base import Engine, GenerationSettings
from llava_ros.engine.local import LocalEngine

PROMPTS = [
    "Where is the red cube?", "What objects are on the table?", "Describe the scene.",
    "Which object is closest to the robot?", "Is there a blue ball? Answer with its box.",
    "How many cubes are there?", "Pick up the green cylinder.", "What color is the object on the left?",
]
VISION_TOLERANCE = 1e-4


@dataclass
class ParityReport:
    engine: str
    n_pairs: int
    identical: int = 0
    vision_max_abs_diff: float | None = None
    mismatches: list[dict] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        vision_ok = self.vision_max_abs_diff is None or self.vision_max_abs_diff <= VISION_TOLERANCE
        return self.identical == self.n_pairs and vision_ok


def synthetic_pairs(n_pairs: int, seed: int = 0, size: tuple[int, int] = (96, 128)) -> list[tuple[np.ndarray, str]]:
    """`n_pairs` (image, prompt): a few filled rectangles of random colours on a random plain background."""
    rng = np.random.default_rng(seed)
    pairs = []
    for i in range(n_pairs):
        image = np.empty((*size, 3), np.uint8)
        image[:] = rng.integers(0, 256, 3)
        for _ in range(rng.integers(1, 5)):
            y, x = rng.integers(0, size[0] - 8), rng.integers(0, size[1] - 8)
            h, w = rng.integers(6, size[0] // 2), rng.integers(6, size[1] // 2)
            image[y:y + h, x:x + w] = rng.integers(0, 256, 3)
        pairs.append((image, PROMPTS[i % len(PROMPTS)]))
    return pairs


@torch.inference_mode()
def vision_difference(reference: LocalEngine, other: LocalEngine, images: list[np.ndarray]) -> float:
    pixels = reference.pre.image_processor(images)
    ref = reference.backend.encode_images(pixels).float().cpu()
    got = other.backend.encode_images(pixels).float().cpu()
    return float((ref - got).abs().max())


def check_parity(model_dir: str | Path, n_pairs: int = 50, engine: str | Engine = "onnx",
                 max_new_tokens: int = 32, reference: Engine | None = None, **engine_kwargs) -> ParityReport:
    """Greedy answers of `engine` (a registered name or an engine) vs the torch engine on `n_pairs` pairs."""
    reference = reference or create_engine("torch", model_path=model_dir)
    other = create_engine(engine, model_path=model_dir, **engine_kwargs) if isinstance(engine, str) else engine
    report = ParityReport(engine=other.name, n_pairs=n_pairs)
    pairs = synthetic_pairs(n_pairs)
    if isinstance(reference, LocalEngine) and isinstance(other, LocalEngine):
        report.vision_max_abs_diff = max(vision_difference(reference, other, [img for img, _ in pairs[i:i + 8]])
                                         for i in range(0, n_pairs, 8))
    settings = GenerationSettings(max_new_tokens=max_new_tokens)
    for index, (image, prompt) in enumerate(pairs):
        want, got = reference.answer(image, prompt, settings), other.answer(image, prompt, settings)
        if want.token_ids == got.token_ids:
            report.identical += 1
        else:
            report.mismatches.append({"pair": index, "prompt": prompt, "torch": want.text, other.name: got.text})
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--engine", default="onnx")
    parser.add_argument("--pairs", type=int, default=50)
    parser.add_argument("--max-new-tokens", type=int, default=32)
    args = parser.parse_args(argv)
    report = check_parity(args.model, args.pairs, args.engine, args.max_new_tokens)
    print(json.dumps({**asdict(report), "ok": report.ok}, indent=2))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
