"""``llava-ros eval sim``: predict on held-out sim scenes, then score.

    llava-ros eval sim --seeds 1000000000:1000000200 [--model DIR] [--engine torch] [--out runs/eval/sim]

Writes ``predictions.jsonl`` (resumable: a rerun skips answered questions), ``scores.json``,
``scores.md`` and ``scores.png`` into the output folder and prints the table.
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from llava_ros.ask import DEFAULT_MODEL, check_model_folder
from llava_ros.eval import grasp_command


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="eval_command", required=True)
    sim = sub.add_parser("sim", help="held-out sim scenes: attributes, counting, relations, boxes, POPE")
    sim.add_argument("--seeds", required=True, help="held-out seed range A:B (A >= 1,000,000,000)")
    sim.add_argument("--model", default=str(DEFAULT_MODEL))
    sim.add_argument("--engine", default="torch")
    sim.add_argument("--out", default="runs/eval/sim")
    sim.add_argument("--max-new-tokens", type=int, default=96)
    sim.add_argument("--quiet", action="store_true")
    sim.set_defaults(func=run_sim)
    grasp_command.add_parser(sub)


def run_sim(args: argparse.Namespace) -> int:
    from llava_ros.engine import GenerationSettings, create_engine
    from llava_ros.eval.benchmarks import get_benchmark
    from llava_ros.eval.predict import predict, read_jsonl
    from llava_ros.eval.report import write_report
    from sim.seeds import parse_seed_range

    run_dir = Path(args.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    benchmark = get_benchmark("sim")(parse_seed_range(args.seeds))
    engine = create_engine(args.engine, model_path=check_model_folder(args.model))
    items_path = run_dir / "items.jsonl"
    items = read_jsonl(items_path)
    if not items:
        items = benchmark.items(run_dir, progress=not args.quiet)
        items_path.write_text("".join(json.dumps(i) + "\n" for i in items))
    predictions = predict(engine, items, run_dir, GenerationSettings(max_new_tokens=args.max_new_tokens),
                          progress=not args.quiet)
    summary = benchmark.score(read_jsonl(predictions))
    paths = write_report(run_dir, f"sim eval, seeds {args.seeds}, model {args.model}", summary)
    print(paths["markdown"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0
