"""The two evaluation phases every benchmark shares.

    llava-ros eval predict --bench pope --seeds 1000000000:1000000100 --model DIR --engine torch --out RUN
    llava-ros eval score --bench pope --run RUN

A run folder holds ``run.json`` (benchmark, its options, model, engine), ``items.jsonl`` (written
once), ``predictions.jsonl`` (one line per answered item: the item plus ``answer``, ``engine``,
``model``, ``latency_s``; a rerun answers only the missing items) and, after scoring,
``scores.json`` / ``scores.md`` / ``scores.png``. ``grasp`` runs keep their items as
``episodes.jsonl`` and are predicted by ``llava-ros eval grasp`` (it needs ROS); ``eval score``
re-scores their stored rows.
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from llava_ros.eval.predict import read_jsonl

RUN_FILE = "run.json"
ITEM_FILES = ("items.jsonl", "episodes.jsonl")  # grasp writes episodes.jsonl


@dataclass
class ScoreOptions:
    """What scoring may need beyond the rows (the judge of llava-bench)."""

    judge_url: str | None = None
    judge_model: str | None = None
    judge_repeats: int = 1
    judge_retries: int = 2
    judge_api_key_env: str = "OPENAI_API_KEY"
    judge_rules: str | None = None
    progress: bool = True

    def __post_init__(self) -> None:
        if self.judge_repeats < 1:
            raise ValueError(f"--judge-repeats must be >= 1, got {self.judge_repeats}")
        if self.judge_retries < 0:
            raise ValueError(f"--judge-retries must be >= 0, got {self.judge_retries}")


def _benchmark_class(name: str):
    from llava_ros.eval.benchmarks import get_benchmark

    return get_benchmark(name)


def read_run_info(run_dir: Path) -> dict:
    path = run_dir / RUN_FILE
    return json.loads(path.read_text()) if path.is_file() else {}


def predict_phase(bench: str, args, run_dir: Path, model: str, engine_name: str, max_new_tokens: int | None = None,
                  temperature: float = 0.0, progress: bool = True) -> Path:
    """Write ``items.jsonl`` once and answer the items missing from ``predictions.jsonl``."""
    from llava_ros.ask import check_model_folder
    from llava_ros.engine import GenerationSettings, create_engine
    from llava_ros.eval.predict import predict

    cls = _benchmark_class(bench)
    if not hasattr(cls, "from_args"):
        raise ValueError(f"benchmark {bench!r} has no offline predict phase; run it with `llava-ros eval {bench}` "
                         f"(then `llava-ros eval score --bench {bench} --run RUN` re-scores its rows)")
    benchmark = cls.from_args(args)
    run_dir.mkdir(parents=True, exist_ok=True)
    info = {"bench": bench, "options": benchmark.options()}
    stored = read_run_info(run_dir)
    if stored and (stored.get("bench"), stored.get("options")) != (info["bench"], info["options"]):
        raise ValueError(f"{run_dir} holds a run of {stored.get('bench')} {stored.get('options')}, not "
                         f"{bench} {info['options']}; use another --out")
    items_path = run_dir / "items.jsonl"
    items = read_jsonl(items_path)
    if not items:
        items = benchmark.items(run_dir, progress=progress)
        if not items:
            raise ValueError(f"benchmark {bench} {info['options']} has no questions")
        items_path.write_text("".join(json.dumps(i) + "\n" for i in items))
    engine = create_engine(engine_name, model_path=check_model_folder(model))
    settings = GenerationSettings(max_new_tokens=max_new_tokens or cls.MAX_NEW_TOKENS, temperature=temperature)
    (run_dir / RUN_FILE).write_text(json.dumps({**info, "model": str(model), "engine": engine_name,
                                                "model_id": engine.model_id}, indent=2) + "\n")
    return predict(engine, items, run_dir, settings, progress=progress)


def score_phase(run_dir: Path, bench: str | None = None, options: ScoreOptions | None = None) -> dict[str, Path]:
    """Score the run's predictions; write scores.json / scores.md / scores.png; return their paths."""
    from llava_ros.eval.report import write_report

    options = options or ScoreOptions()
    info = read_run_info(run_dir)
    bench = bench or info.get("bench")
    if bench is None:
        raise ValueError(f"{run_dir} has no {RUN_FILE}; pass --bench NAME")
    if info.get("bench") not in (None, bench):
        raise ValueError(f"{run_dir} is a run of {info['bench']!r}, not {bench!r}")
    cls = _benchmark_class(bench)
    predictions = read_jsonl(run_dir / "predictions.jsonl")
    if not predictions:
        raise FileNotFoundError(f"no predictions in {run_dir / 'predictions.jsonl'}; run `llava-ros eval predict` first")
    items = next((read_jsonl(run_dir / name) for name in ITEM_FILES if (run_dir / name).is_file()), [])
    ids = {item["id"] for item in items}
    rows = [p for p in predictions if not ids or p["id"] in ids]
    if len({r["id"] for r in rows}) < len(ids):
        print(f"warning: {len(ids) - len({r['id'] for r in rows})} of {len(ids)} items in {run_dir} are unanswered; "
              "rerun predict to finish them", file=sys.stderr)
    summary = cls.score_run(rows, run_dir, options) if hasattr(cls, "score_run") else cls.score(rows)
    title = f"{bench} eval, model {info.get('model', '?')} ({info.get('engine', '?')})"
    if info.get("options"):
        title += ", " + ", ".join(f"{k} {v}" for k, v in info["options"].items() if k not in ("width", "height"))
    paths = write_report(run_dir, title, summary)
    if hasattr(cls, "markdown_details"):
        with paths["markdown"].open("a") as md:
            md.write("\n" + cls.markdown_details(summary))
    return paths
