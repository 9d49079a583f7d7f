"""``llava-ros sim render|pick``: the sim's command-line entry points (thin wrappers).

    llava-ros sim render --seed 3 --out out/scene3 --width 640 --height 480
    llava-ros sim pick --seed 3 --label "red cube" --strip out/pick3.png
"""
from __future__ import annotations

import argparse
import json
import sys

from sim.camera import Camera
from sim.ground_truth import scene_ground_truth, write_scene
from sim.layout import sample_layout
from sim.grasp import GraspExecutor
from sim.scene import SceneConfig, TabletopScene
from sim.strip import save_strip

STRIP_EVERY_STEPS = 100


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="sim_command", required=True)
    render = sub.add_parser("render", help="render a seeded scene: rgb.png, depth.npy, scene.json")
    _add_scene_args(render)
    render.add_argument("--out", required=True, help="output folder")
    render.set_defaults(func=render_command)
    pick = sub.add_parser("pick", help="pick an object from ground truth; last line is JSON")
    _add_scene_args(pick)
    pick.add_argument("--label", help='object to pick, e.g. "red cube" (default: one drawn from the seed)')
    pick.add_argument("--strip", help="save a strip of rollout frames to this PNG")
    pick.set_defaults(func=pick_command)


def _add_scene_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=0, help="layout seed (< 1,000,000 for non-eval use)")
    parser.add_argument("--objects", type=int, default=None, help="number of objects (1-6; default: from seed)")
    parser.add_argument("--width", type=int, default=SceneConfig.width)
    parser.add_argument("--height", type=int, default=SceneConfig.height)
    parser.add_argument("--shadows", action="store_true", help="render shadows and 4x multisampling (slower)")


def scene_from_args(args: argparse.Namespace) -> TabletopScene:
    cfg = SceneConfig(width=args.width, height=args.height, shadows=args.shadows,
                      multisamples=4 if args.shadows else 0)
    return TabletopScene(sample_layout(args.seed, args.objects), cfg)


def render_command(args: argparse.Namespace) -> int:
    scene = scene_from_args(args)
    with Camera(scene) as camera:
        frame = camera.frame()
        truth = scene_ground_truth(scene, camera, frame)
    paths = write_scene(args.out, frame, truth)
    for obj in truth["objects"]:
        print(f"{obj['label']:<18} bbox={obj['bbox_xyxy']} visible={obj['visible_fraction']:.2f}")
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def pick_from_ground_truth(scene: TabletopScene, label: str, strip_path: str | None = None) -> dict:
    """Pick ``label`` aiming at its true centre; return the result JSON dict."""
    index = scene.index_of(label)
    camera = Camera(scene) if strip_path else None
    on_step = (lambda data: camera.rgb()) if camera else None
    result = GraspExecutor(scene).pick(scene.object_centre(index), on_step=on_step,
                                       step_every=STRIP_EVERY_STEPS)
    if camera:
        save_strip([*result.frames, camera.rgb()], strip_path)
        camera.close()
        print(f"saved rollout strip to {strip_path}")
    print(result.message)
    return {"success": bool(result.success), "lift_m": round(float(result.lift_m), 4),
            "label": label, "picked_label": result.picked_label}


def pick_command(args: argparse.Namespace) -> int:
    scene = scene_from_args(args)
    labels = [o.label for o in scene.layout.objects]
    label = args.label or labels[int(args.seed) % len(labels)]
    if label not in labels:
        print(f"error: no {label!r} in scene {args.seed}; objects: {labels}", file=sys.stderr)
        return 2
    print(json.dumps(pick_from_ground_truth(scene, label, args.strip)))
    return 0
