"""How well a model fits the scenes it trained on: the ``eval sim`` questions asked on training seeds.

    python -m training.probe_fit --model runs/v32/final --seeds 0:40 --out runs/v32/fit

``llava-ros eval sim`` asks held-out scenes only. The same questions on training scenes (seeds below
1,000,000, whose images and layouts stage 2 trained on) tell a failure to fit from a failure to
generalise: a model that counts its training scenes no better than held-out ones is short of capacity
or training, and more scenes will not help it. The run folder has ``eval sim``'s layout:
``items.jsonl``, ``predictions.jsonl`` (resumable: a rerun answers only the missing items) and
``scores.json`` / ``scores.md`` / ``scores.png``, whose table also splits counting by what is counted
(all objects, a colour, a shape). These are not evaluation numbers: the model saw these images.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from llava_ros.commandline import standalone_main
from llava_ros.eval.benchmarks import sim
from llava_ros.eval.benchmarks.heldout import rendered_items
from llava_ros.eval.predict import predict, read_jsonl
from llava_ros.eval.report import write_report
from sim.seeds import check_training_seed, parse_seed_range

COUNTED = ("all", "colour", "shape")  # what a counting question counts: every object, one colour, one shape


def training_seeds(text: str) -> range:
    """``--seeds A:B`` when every seed is a training seed, else a clear error."""
    seeds = parse_seed_range(text)
    check_training_seed(seeds.start)
    check_training_seed(seeds.stop - 1)
    return seeds


def fit_items(seeds: range, run_dir: Path, progress: bool = True) -> list[dict]:
    """Render each training seed into ``run_dir/images`` and return ``eval sim``'s questions about it."""
    return rendered_items(seeds, run_dir, sim.scene_items, progress=progress, desc="rendering training scenes")


def counted(fact: dict) -> str:
    """What a counting question counts (one of :data:`COUNTED`)."""
    return "colour" if fact.get("colour") else "shape" if fact.get("shape") else "all"


def fit_summary(rows: list[dict]) -> dict:
    """``SimBenchmark.score`` of the rows plus counting accuracy split by :func:`counted`."""
    summary = sim.SimBenchmark.score(rows)
    counts = [r for r in summary["rows"] if r["family"] == "count"]
    for kind in COUNTED:
        group = [r for r in counts if counted(r["fact"]) == kind]
        summary["metrics"][f"counting_{kind}"] = sum(r["correct"] for r in group) / len(group) if group else float("nan")
        summary["counts"][f"n_count_{kind}"] = len(group)
    summary["goals"] = {}  # the goals are for held-out scenes
    summary["notes"] = ["Training scenes: the model trained on these images. A measure of fit, not of generalisation."]
    return summary


def run(args: argparse.Namespace) -> int:
    from llava_ros.ask import check_model_folder
    from llava_ros.engine import GenerationSettings, create_engine

    seeds, run_dir = training_seeds(args.seeds), Path(args.out)
    run_dir.mkdir(parents=True, exist_ok=True)
    items_path = run_dir / "items.jsonl"
    items = read_jsonl(items_path)
    if items and {i["seed"] for i in items} != set(seeds):
        raise ValueError(f"{run_dir} holds questions about other seeds than {args.seeds}; use another --out")
    if not items:
        items = fit_items(seeds, run_dir, progress=not args.quiet)
        items_path.write_text("".join(json.dumps(i) + "\n" for i in items))
    engine = create_engine("torch", model_path=check_model_folder(args.model))
    settings = GenerationSettings(max_new_tokens=args.max_new_tokens)
    predictions = predict(engine, items, run_dir, settings, progress=not args.quiet)
    ids = {i["id"] for i in items}
    rows = [r for r in read_jsonl(predictions) if r["id"] in ids and r["model"] == engine.model_id]
    if len(rows) != len(ids):
        raise ValueError(f"{run_dir} holds answers of another model; use another --out")
    paths = write_report(run_dir, f"sim questions on training scenes {args.seeds}, model {args.model}", fit_summary(rows))
    print(paths["markdown"].read_text())
    print(f"wrote {', '.join(str(p) for p in paths.values())}")
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="a LLaVA checkpoint folder (any layout load_model reads)")
    parser.add_argument("--seeds", default="0:40", help="training scene seeds A:B (below 1,000,000)")
    parser.add_argument("--out", required=True, help="run folder (items, predictions, scores)")
    parser.add_argument("--max-new-tokens", type=int, default=sim.SimBenchmark.MAX_NEW_TOKENS)
    parser.add_argument("--quiet", action="store_true")


def main(argv: list[str] | None = None) -> int:
    return standalone_main("python -m training.probe_fit", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
