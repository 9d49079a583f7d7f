"""``llava-ros demo`` (``make demo``): the whole loop: sim + perception node, three questions, one pick.

    llava-ros demo [--seed 7] [--model DIR] [--out out/demo]

Starts the sim and the perception node (the shipped model unless ``--model``) with the launcher,
asks three instructions over ``ask_scene`` (a description, a count, and the planner's referring
question about an object the description named), prints the answers, picks that object over
``pick_object`` and prints the grasp result as JSON (the last line). Saves ``annotated.png`` (the
answered image with every grounded box and label) and ``pick_strip.png`` (the camera before and
after the pick; the sim renders no frames while a pick runs). Exit status 0 when the loop ran (the
grasp's own outcome is in the JSON: a wrong answer is the model's, not an error), 1 when the graph
failed (no node, no answer), 2 when the model folder is missing.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

from llava_ros.ask import DEFAULT_MODEL
from llava_ros.ros.plan_instruction import LIST_TOKENS

DEFAULT_SEED = 7
DESCRIBE = "Describe the image concisely."
COUNT = "How many objects are there in the image?"
BOX_COLOURS = [(230, 25, 75), (60, 180, 75), (0, 130, 200), (245, 130, 48), (145, 30, 180), (70, 240, 240)]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="scene seed")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="checkpoint folder (default: the shipped model)")
    parser.add_argument("--out", default="out/demo", help="folder for images and results")
    parser.add_argument("--max-new-tokens", type=int, default=LIST_TOKENS,
                        help="answer budget (0 = node parameter; the default fits a description of six boxed objects)")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra node parameter, as for llava-ros launch (repeatable)")
    parser.set_defaults(func=run)


def annotate(rgb: np.ndarray, objects: list) -> np.ndarray:
    """The image with each grounded object's box and label drawn (OpenCV), as RGB."""
    out = rgb.copy()
    scale = max(0.35, out.shape[1] / 900)
    for i, obj in enumerate(objects):
        colour = BOX_COLOURS[i % len(BOX_COLOURS)]
        x1, y1, x2, y2 = (int(round(float(c))) for c in obj.bbox_xyxy)
        cv2.rectangle(out, (x1, y1), (x2 - 1, y2 - 1), colour, 2)
        text = obj.label + ("" if obj.position_valid else " (no 3-D)")
        (w, h), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
        top = max(0, y1 - h - 6)
        cv2.rectangle(out, (x1, top), (x1 + w + 4, top + h + 6), colour, -1)
        cv2.putText(out, text, (x1 + 2, top + h + 2), cv2.FONT_HERSHEY_SIMPLEX, scale, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def save_rgb(path: Path, rgb: np.ndarray) -> Path:
    if not cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {path}")
    return path


def run(args: argparse.Namespace) -> int:
    if not (Path(args.model) / "config.json").is_file():
        print(f"error: no model at {args.model} (config.json missing). The shipped model is not installed "
              f"here; pass --model DIR with a llava_ros or LLaVA checkpoint folder.", file=sys.stderr)
        return 2
    from llava_ros.ros.conversions import image_to_rgb
    from llava_ros.ros.plan_client import LaunchedGraph, PlannerClient
    from llava_ros.ros.plan_instruction import choose_target, label_referred, parse_instruction, refer_question
    from llava_ros.ros.planner import object_json
    from sim.layout import sample_layout
    from sim.strip import save_strip

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    graph = LaunchedGraph(args.model, args.seed, tuple(args.set), out / "graph.log")
    print(f"starting sim (seed {args.seed}) + perception node ({args.model}); log: {graph.log_path}", flush=True)
    try:
        with PlannerClient("llava_demo", keep_images=30) as client:
            client.wait_for_graph(graph)
            since = client.now_s()
            answers = []
            described = None
            wanted, referred = None, []  # the object the third question asks about, and its grounded box
            for question in (DESCRIBE, COUNT, None):
                referring = question is None
                if referring:  # the planner's referring question about an object the description named
                    named = next((o.label for o in described.objects), None) if described else None
                    wanted = named or sample_layout(args.seed).objects[0].label
                    question = refer_question(wanted)
                response, seconds = client.ask(question, newer_than=since, max_new_tokens=args.max_new_tokens)
                if not response.success:
                    print(f"Q: {question}\n   error: {response.error}", flush=True)
                    continue
                if referring:  # the answer is the box alone: label it with what was asked about
                    referred = label_referred(list(response.answer.objects), wanted)
                    response.answer.objects = referred
                answers.append((question, response.answer))
                described = described or (response.answer if question == DESCRIBE else None)
                print(f"Q: {question}\nA: {response.answer.answer}   ({seconds:.2f} s)", flush=True)
                for obj in response.answer.objects:
                    print(f"   grounded {json.dumps(object_json(obj))}")
            if not answers:
                raise RuntimeError("the perception node answered none of the questions")

            # The answered image (all three are about the same, still scene) with every grounded object.
            last = answers[-1][1]
            image = client.image_at(last.header.stamp)
            objects = [o for _, a in answers for o in a.objects]
            if image is not None:
                print(f"saved {save_rgb(out / 'annotated.png', annotate(image_to_rgb(image), objects))}")
            else:
                print("the answered image was not received; no annotated.png")

            # Pick what the referring answer grounded; else any grounded object with a 3-D point.
            target = choose_target(parse_instruction(f"pick up the {wanted}"), referred).target if referred else None
            target = target or next((o for o in objects if o.position_valid), None)
            if target is None:
                result = {"success": False, "label": None,
                          "message": "no object grounded with a 3-D position: nothing to pick"}
            else:
                picked, seconds = client.pick(target)
                after = client.now_s()
                result = {"success": bool(picked.success), "label": target.label,
                          "picked_label": picked.picked_label, "lift_m": round(float(picked.lift_m), 4),
                          "message": picked.message, "target": object_json(target, full=False),
                          "pick_s": round(seconds, 3)}
                client.wait_for_frame_after(after)
                frames = [image_to_rgb(m) for m in (image, client.images[-1]) if m is not None]
                print(f"saved {save_strip(frames, out / 'pick_strip.png', max_frames=2)}")
    except (RuntimeError, TimeoutError) as err:
        print(json.dumps({"success": False, "label": None, "message": str(err)}), flush=True)
        return 1
    finally:
        graph.stop()
    # The loop ran: exit 0 and report the grasp outcome (a wrong answer is the model's, not an error).
    print(json.dumps(result), flush=True)
    return 0
