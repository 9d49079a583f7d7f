"""``llava-ros ask``: answer one instruction about one image with the shipped (or a given) model.

    llava-ros ask --image out/scene3/rgb.png --prompt "Where is the red cube?" [--model DIR] [--json]

With ``--json`` the last line is ``{"answer": str, "objects": [{"label", "bbox_xyxy"}], "latency_ms": float}``.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np

from llava_ros.answer_budget import DEFAULT_MAX_NEW_TOKENS

DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "models" / "llava-ros-sim"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--image", required=True, help="RGB image file (PNG/JPEG)")
    parser.add_argument("--prompt", required=True, help="the instruction or question")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="checkpoint folder (default: the shipped model)")
    parser.add_argument("--engine", default="torch", help="inference engine (registered name)")
    parser.add_argument("--max-new-tokens", type=int, default=DEFAULT_MAX_NEW_TOKENS)
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    parser.add_argument("--json", action="store_true", help="print one JSON object as the last line")
    parser.set_defaults(func=run)


def read_rgb(path: str | Path) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB, or a clear error."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"image {path} does not exist")
    bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if bgr is None:
        raise ValueError(f"{path} is not a readable image (PNG/JPEG/...)")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def check_model_folder(path: str | Path) -> Path:
    path = Path(path)
    if not (path / "config.json").is_file():
        raise FileNotFoundError(
            f"no model at {path} (config.json missing); pass --model DIR with a llava_ros or LLaVA checkpoint")
    return path


def run(args: argparse.Namespace) -> int:
    from llava_ros.engine import GenerationSettings, create_engine
    from llava_ros.grounding import objects_from_answer

    image = read_rgb(args.image)
    engine = create_engine(args.engine, model_path=check_model_folder(args.model))
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens, temperature=args.temperature)
    result = engine.answer(image, args.prompt, settings)
    objects = objects_from_answer(result.text, image.shape[1], image.shape[0])
    if not args.json:
        print(result.text)
        for obj in objects:
            print(f"  {obj.label}: {[round(v, 1) for v in obj.bbox_xyxy]}")
        return 0
    print(json.dumps({
        "answer": result.text,
        "objects": [{"label": o.label, "bbox_xyxy": [round(v, 2) for v in o.bbox_xyxy]} for o in objects],
        "latency_ms": round(result.latency_s * 1000.0, 2),
    }))
    return 0
