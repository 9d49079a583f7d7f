"""``llava-ros eval``: offline evaluation in two phases (see :mod:`llava_ros.eval.phases`).

    llava-ros eval predict --bench pope --seeds 1000000000:1000000100 [--model DIR] [--engine torch] --out RUN
    llava-ros eval predict --bench scienceqa --data DIR [--split test] --out RUN
    llava-ros eval predict --bench llava-bench --data DIR --out RUN
    llava-ros eval score --run RUN [--judge-url URL --judge-model NAME --judge-repeats 3]
    llava-ros eval compare RUN_A RUN_B ... [--out DIR]
    llava-ros eval make-llava-bench --seeds 1000000000:1000000030 --out DIR
    llava-ros eval sim --seeds 1000000000:1000000200 [--model DIR] [--engine torch] [--out runs/eval/sim]
    llava-ros eval grasp --episodes 50 --seeds 1000000000:1000000200   (closed loop over ROS)

``predict`` writes ``items.jsonl`` once and ``predictions.jsonl`` (resumable: a rerun skips answered
questions); ``score`` writes ``scores.json``, ``scores.md`` and ``scores.png`` and prints the table;
``sim`` is predict + score in one go.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from llava_ros.ask import DEFAULT_MODEL
from llava_ros.eval import grasp_command


def _add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="checkpoint folder (default: the shipped model)")
    parser.add_argument("--engine", default="torch", help="inference engine (registered name)")
    parser.add_argument("--max-new-tokens", type=int, default=None, help="answer budget (default: the benchmark's)")
    parser.add_argument("--temperature", type=float, default=0.0, help="0 = greedy")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _add_judge_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--judge-url", default=None, help="OpenAI-compatible base URL of the judge (llava-bench)")
    parser.add_argument("--judge-model", default=None, help="judge model name (default: the server's first)")
    parser.add_argument("--judge-repeats", type=int, default=1, help="judge runs; scores are mean ± std over them")
    parser.add_argument("--judge-retries", type=int, default=2, help="retries of a failed or unparseable review")
    parser.add_argument("--judge-api-key-env", default="OPENAI_API_KEY", help="environment variable holding the key")
    parser.add_argument("--judge-rules", default=None, help="a rule file like LLaVA's table/rule.json")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from llava_ros.eval.benchmarks import benchmark_names

    sub = parser.add_subparsers(dest="eval_command", required=True)
    predict = sub.add_parser("predict", help="phase 1: answer a benchmark's questions to predictions.jsonl")
    predict.add_argument("--bench", required=True, choices=benchmark_names())
    predict.add_argument("--seeds", default=None, help="held-out seed range A:B (sim, pope)")
    predict.add_argument("--data", default=None, help="benchmark data folder (llava-bench, scienceqa)")
    predict.add_argument("--split", default=None, help="ScienceQA split (default: test)")
    predict.add_argument("--out", required=True, help="run folder")
    _add_engine_options(predict)
    predict.set_defaults(func=run_predict)

    score = sub.add_parser("score", help="phase 2: score a run folder to scores.md / .json / .png")
    score.add_argument("--run", required=True, help="run folder written by `eval predict`")
    score.add_argument("--bench", default=None, choices=benchmark_names(), help="default: from the run's run.json")
    _add_judge_options(score)
    score.add_argument("--quiet", action="store_true")
    score.set_defaults(func=run_score)

    compare = sub.add_parser("compare", help="one table of several scored runs, deltas against the first")
    compare.add_argument("runs", nargs="+", help="scored run folders; the first is the baseline")
    compare.add_argument("--out", default="runs/eval/compare")
    compare.set_defaults(func=run_compare)

    make = sub.add_parser("make-llava-bench", help="write a sim LLaVA-Bench (questions, references, context)")
    make.add_argument("--seeds", required=True, help="held-out seed range A:B (A >= 1,000,000,000)")
    make.add_argument("--out", required=True)
    make.add_argument("--quiet", action="store_true")
    make.set_defaults(func=run_make_llava_bench)

    sim = sub.add_parser("sim", help="held-out sim scenes: attributes, counting, relations, boxes, POPE")
    sim.add_argument("--seeds", required=True, help="held-out seed range A:B (A >= 1,000,000,000)")
    sim.add_argument("--out", default="runs/eval/sim")
    _add_engine_options(sim)
    sim.set_defaults(func=run_sim, bench="sim")
    grasp_command.add_parser(sub)


def _print(paths: dict[str, Path]) -> None:
    print(paths["markdown"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")


def run_predict(args: argparse.Namespace) -> int:
    from llava_ros.eval.phases import predict_phase

    out = predict_phase(args.bench, args, Path(args.out), args.model, args.engine, args.max_new_tokens,
                        args.temperature, progress=not args.quiet)
    print(f"wrote {out}")
    return 0


def run_score(args: argparse.Namespace) -> int:
    from llava_ros.eval.phases import ScoreOptions, score_phase

    options = ScoreOptions(judge_url=args.judge_url, judge_model=args.judge_model, judge_repeats=args.judge_repeats,
                           judge_retries=args.judge_retries, judge_api_key_env=args.judge_api_key_env,
                           judge_rules=args.judge_rules, progress=not args.quiet)
    try:
        _print(score_phase(Path(args.run), args.bench, options))
    except RuntimeError as err:  # the judge is unreachable or gave no usable review; stored reviews are kept
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


def run_compare(args: argparse.Namespace) -> int:
    from llava_ros.eval.compare import write_comparison

    _print(write_comparison([Path(r) for r in args.runs], Path(args.out)))
    return 0


def run_make_llava_bench(args: argparse.Namespace) -> int:
    from llava_ros.eval.benchmarks.llava_bench_sim import write_sim_llava_bench
    from sim.seeds import parse_seed_range

    paths = write_sim_llava_bench(parse_seed_range(args.seeds), Path(args.out), progress=not args.quiet)
    print(f"wrote {', '.join(str(p) for p in paths.values())} and {Path(args.out) / 'images'}/")
    return 0


def run_sim(args: argparse.Namespace) -> int:
    """``eval sim``: the predict phase, then the score phase, in one run folder."""
    from llava_ros.eval.phases import ScoreOptions, predict_phase, score_phase

    run_dir = Path(args.out)
    predict_phase("sim", args, run_dir, args.model, args.engine, args.max_new_tokens, args.temperature,
                  progress=not args.quiet)
    _print(score_phase(run_dir, "sim", ScoreOptions(progress=not args.quiet)))
    return 0
