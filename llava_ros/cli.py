"""``llava-ros``: the command line.

    llava-ros demo                                   # the main job (README quick start)
    llava-ros sim render --seed 3 --out out/scene3   # a scene: rgb.png, depth.npy, scene.json
    llava-ros sim pick --seed 3 --label "red cube"   # a scripted pick; last line is JSON
    llava-ros ask --image rgb.png --prompt "Where is the red cube?" [--json]
"""
from __future__ import annotations

import argparse
import os
import sys

# Headless rendering unless the user chose a GL backend; read by mujoco when it is first imported.
os.environ.setdefault("MUJOCO_GL", "egl")


def build_parser() -> argparse.ArgumentParser:
    from llava_ros import ask, demo
    from sim import commands as sim_commands

    parser = argparse.ArgumentParser(prog="llava-ros", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sim_commands.add_arguments(sub.add_parser("sim", help="the MuJoCo tabletop simulation"))
    demo.add_arguments(sub.add_parser("demo", help="run the main job: render, answer, pick"))
    ask.add_arguments(sub.add_parser("ask", help="answer an instruction about an image"))
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
