"""Phase 1: answer every item with an engine and append one JSON line per answer (resumable)."""
from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm

from llava_ros.ask import read_rgb
from llava_ros.engine import Engine, GenerationSettings


def read_jsonl(path: Path) -> list[dict]:
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def predict(engine: Engine, items: list[dict], run_dir: Path, settings: GenerationSettings,
            progress: bool = True) -> Path:
    """Answer the items not yet in ``run_dir/predictions.jsonl``; return its path."""
    out = run_dir / "predictions.jsonl"
    done = {row["id"] for row in read_jsonl(out)}
    todo = [item for item in items if item["id"] not in done]
    with out.open("a") as sink:
        for item in tqdm(todo, desc=f"predict ({engine.name})", disable=not progress):
            image = read_rgb(run_dir / item["image"]) if item.get("image") else None
            result = engine.answer(image, item["prompt"], settings)
            row = {**item, "answer": result.text, "engine": engine.name, "model": engine.model_id,
                   "latency_s": round(result.latency_s, 4)}
            sink.write(json.dumps(row) + "\n")
            sink.flush()
    return out
