"""``llava-ros``: the command line.

    llava-ros demo                                   # the main job (README quick start)
    llava-ros sim render --seed 3 --out out/scene3   # a scene: rgb.png, depth.npy, scene.json
    llava-ros sim pick --seed 3 --label "red cube"   # a scripted pick; last line is JSON
    llava-ros ask --image rgb.png --prompt "Where is the red cube?" [--json]
    llava-ros data generate --seeds 0:1000 --out data/sim   # instruction data (training/data)
    llava-ros data tokenizer --data data/sim/*.json --out runs/tokenizer
    llava-ros launch all [--set perception.model_path=DIR]   # sim + perception nodes (pip-only ROS 2)
    llava-ros plan [--seed 3] [--model DIR] [--join] "pick up the red cube"   # last line is JSON
    llava-ros eval grasp --episodes 50 --seeds 1000000000:1000000200 [--model DIR]
    llava-ros eval predict --bench pope --seeds 1000000000:1000000100 [--model DIR] --out RUN
    llava-ros eval score --run RUN [--judge-url URL --judge-model NAME --judge-repeats 3]
    llava-ros eval compare RUN_A RUN_B ...
    llava-ros eval sim --seeds 1000000000:1000000100 [--model DIR]
    llava-ros export --model DIR --format onnx                # ONNX graphs for the onnx/tensorrt engines
    llava-ros serve --engine torch --model DIR --port 8000    # OpenAI-compatible chat-completions server
    llava-ros train --config training/configs/stage1_pretrain.yaml [--set k=v ...] [--resume]
"""
from __future__ import annotations

import argparse
import importlib
import os
import sys

# Headless rendering unless the user chose a GL backend; read by mujoco when it is first imported.
os.environ.setdefault("MUJOCO_GL", "egl")

# Subcommands whose module owns its own argument parser: `llava-ros data generate ARGS` runs
# `training.data.generate.main(ARGS)`.
FORWARDED = {
    ("data", "generate"): ("training.data.generate", "render seeded scenes and write LLaVA-format data"),
    ("data", "tokenizer"): ("training.tokenizer", "train the BPE tokenizer on LLaVA-format data"),
    ("train",): ("training.train.__main__", "train a stage: --config training/configs/STAGE.yaml"),
    ("export",): ("llava_ros.engine.export", "export a checkpoint to ONNX (--format tensorrt: also TensorRT plans)"),
    ("serve",): ("llava_ros.serve.server", "serve an engine over the OpenAI chat-completions API"),
}


def build_parser() -> argparse.ArgumentParser:
    from llava_ros import ask, demo, launcher
    from llava_ros.eval import command as eval_command
    from llava_ros.ros import planner
    from sim import commands as sim_commands

    parser = argparse.ArgumentParser(prog="llava-ros", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sim_commands.add_arguments(sub.add_parser("sim", help="the MuJoCo tabletop simulation"))
    demo.add_arguments(sub.add_parser("demo", help="run the main job: render, answer, pick"))
    ask.add_arguments(sub.add_parser("ask", help="answer an instruction about an image"))
    eval_command.add_arguments(sub.add_parser("eval", help="offline evaluation (predict, then score)"))
    launcher.add_arguments(sub.add_parser("launch", help="start the ROS 2 nodes (sim, perception, all) "
                                                        "without ros2 launch"))
    planner.add_arguments(sub.add_parser("plan", help="example planner: instruction → ask_scene → pick_object "
                                                      "(last line JSON)"))
    groups: dict[str, argparse._SubParsersAction] = {}
    for key, (_, help_text) in FORWARDED.items():  # listed here, parsed by their modules
        if len(key) == 1:
            sub.add_parser(key[0], help=help_text, add_help=False)
            continue
        group, name = key
        if group not in groups:
            groups[group] = sub.add_parser(group).add_subparsers(dest=f"{group}_command", required=True)
        groups[group].add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    for key, (module, _) in FORWARDED.items():
        if tuple(argv[:len(key)]) == key:
            return int(importlib.import_module(module).main(argv[len(key):]) or 0)
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ValueError, KeyError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
