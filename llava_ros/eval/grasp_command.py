"""``llava-ros eval grasp``: closed-loop grasping on held-out layouts, over real ROS.

    llava-ros eval grasp --episodes 50 --seeds 1000000000:1000000200 [--model DIR] [--out runs/eval/grasp]
    python -m llava_ros.eval.grasp_command --episodes 50 --seeds 1000000000:1000000200

Writes ``episodes.jsonl`` (phase 0: instructions from ground truth), ``predictions.jsonl`` (one row
per episode; resumable), ``scores.json``, ``scores.md`` (+ failures by stage, latency, 3-D error),
``scores.png`` and ``graph.log`` (the nodes' output) into the output folder and prints the table.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llava_ros.ask import DEFAULT_MODEL, check_model_folder
from llava_ros.commandline import standalone_main


def add_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``grasp`` to the ``llava-ros eval`` subcommands."""
    parser = sub.add_parser("grasp", help="closed loop on held-out layouts: instruction → perception node → pick")
    add_arguments(parser)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--episodes", type=int, default=50, help="number of episodes (one per seed)")
    parser.add_argument("--seeds", default="1000000000:1000000200", help="held-out seed range A:B (A >= 1,000,000,000)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="checkpoint folder (default: the shipped model)")
    parser.add_argument("--engine", default="torch", help="perception node engine")
    parser.add_argument("--device", default="cpu", help="perception node device")
    parser.add_argument("--width", type=int, default=336)
    parser.add_argument("--height", type=int, default=336)
    parser.add_argument("--max-new-tokens", type=int, default=0, help="answer budget (0 = node parameter)")
    parser.add_argument("--join", action="store_true", help="use a running graph instead of starting one")
    parser.add_argument("--out", default="runs/eval/grasp")
    parser.add_argument("--quiet", action="store_true")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from llava_ros.eval.benchmarks import get_benchmark
    from llava_ros.eval.benchmarks import grasp  # noqa: F401  (registers "grasp")
    from llava_ros.eval.predict import read_jsonl
    from llava_ros.eval.report import write_report
    from llava_ros.ros.plan_episodes import run_episodes
    from sim.seeds import parse_seed_range

    run_dir = Path(args.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    benchmark = get_benchmark("grasp")(parse_seed_range(args.seeds), args.episodes, args.width, args.height)
    if not args.join:
        check_model_folder(args.model)
    episodes_path = run_dir / "episodes.jsonl"
    episodes = read_jsonl(episodes_path)
    if len(episodes) != args.episodes:
        episodes = benchmark.items(run_dir, progress=not args.quiet)
        episodes_path.write_text("".join(json.dumps(e) + "\n" for e in episodes))
    sets = (f"sim.width={args.width}", f"sim.height={args.height}", f"perception.engine={args.engine}",
            f"perception.device={args.device}")
    try:
        predictions = run_episodes(episodes, run_dir, args.model, sets, args.max_new_tokens, args.join,
                                   progress=not args.quiet)
    except (RuntimeError, TimeoutError) as err:  # the graph died or stopped answering; rows so far are kept
        print(f"error: {err}", file=sys.stderr)
        return 1
    ids = {e["id"] for e in episodes}
    summary = benchmark.score([r for r in read_jsonl(predictions) if r["id"] in ids])
    title = f"grasp eval, {args.episodes} episodes, seeds {args.seeds}, model {args.model}"
    paths = write_report(run_dir, title, summary)
    with paths["markdown"].open("a") as md:
        md.write("\n" + benchmark.markdown_details(summary))
    print(paths["markdown"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return standalone_main("llava-ros eval grasp", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
