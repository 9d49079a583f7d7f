"""``llava-ros demo``: the main job from the README's quick start.

For now: render a seeded scene, write its ground truth and perform a scripted pick of one object,
printing the result. Later the same command runs sim + perception node + default model.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

DEFAULT_SEED = 7


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="scene seed")
    parser.add_argument("--out", default="out/demo", help="folder for images and results")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sim.camera import Camera
    from sim.commands import pick_from_ground_truth
    from sim.ground_truth import scene_ground_truth, write_scene
    from sim.layout import sample_layout
    from sim.scene import TabletopScene

    out = Path(args.out)
    scene = TabletopScene(sample_layout(args.seed))
    with Camera(scene) as camera:
        frame = camera.frame()
        truth = scene_ground_truth(scene, camera, frame)
    write_scene(out, frame, truth)
    print(f"scene {args.seed}: {truth['captions'][0]}")
    visible = [o for o in truth["objects"] if o["bbox_xyxy"] is not None]
    target = max(visible, key=lambda o: o["visible_fraction"])["label"]
    print(f"picking the {target} (scripted, from ground truth)")
    result = pick_from_ground_truth(scene, target, str(out / "pick_strip.png"))
    print(json.dumps(result))
    return 0 if result["success"] else 1
