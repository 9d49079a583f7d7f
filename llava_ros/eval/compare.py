"""``llava-ros eval compare RUN_A RUN_B ...``: one table of every run's metrics, deltas against the first.

    llava-ros eval compare runs/eval/pope-stage1 runs/eval/pope-stage2 [--out runs/eval/compare]

Reads each run's ``scores.json``; writes ``compare.md`` (metrics as rows, runs as columns, "value (Δ)"
against the first run), ``compare.json`` and ``compare.png`` (per-metric deltas, one bar per later run).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _number(value) -> float | None:
    return value if isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value)) else None


def load_scores(run: Path) -> dict:
    path = Path(run) / "scores.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} does not exist; score the run first (llava-ros eval score --run {run})")
    return json.loads(path.read_text())["metrics"]


def run_names(runs: list[Path]) -> list[str]:
    names = [Path(r).name or str(r) for r in runs]
    return [n if names.count(n) == 1 else str(r) for n, r in zip(names, runs)]


def compare_runs(runs: list[Path]) -> dict:
    """``{"runs": [...], "metrics": {name: [value per run]}, "deltas": {name: [delta vs first]}}``."""
    if len(runs) < 2:
        raise ValueError(f"compare needs at least two runs, got {len(runs)}")
    scores = [load_scores(r) for r in runs]
    names = list(dict.fromkeys(name for s in scores for name in s))
    metrics = {n: [_number(s.get(n)) for s in scores] for n in names}
    deltas = {n: [None if v is None or vals[0] is None else v - vals[0] for v in vals]
              for n, vals in metrics.items()}
    return {"runs": [str(r) for r in runs], "names": run_names(runs), "metrics": metrics, "deltas": deltas}


def markdown(table: dict) -> str:
    names = table["names"]
    lines = ["# Run comparison (Δ against " + names[0] + ")", "",
             "| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric, values in table["metrics"].items():
        cells = []
        for i, value in enumerate(values):
            delta = table["deltas"][metric][i]
            cell = "—" if value is None else f"{value:.3f}"
            if i and delta is not None:
                cell += f" ({delta:+.3f})"
            cells.append(cell)
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    lines += ["", "Runs: " + ", ".join(f"{n} = {r}" for n, r in zip(names, table["runs"])), ""]
    return "\n".join(lines)


def write_comparison(runs: list[Path], out: Path) -> dict[str, Path]:
    table = compare_runs(runs)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"markdown": out / "compare.md", "json": out / "compare.json", "png": out / "compare.png"}
    paths["markdown"].write_text(markdown(table))
    paths["json"].write_text(json.dumps(table, indent=2) + "\n")
    metrics = list(table["metrics"])
    later = range(1, len(runs))
    fig, ax = plt.subplots(figsize=(7, max(3, 0.3 * len(metrics) * len(later) + 1)))
    height = 0.8 / len(later)
    for j, i in enumerate(later):
        deltas = [table["deltas"][m][i] or 0.0 for m in metrics]
        ax.barh([k + j * height for k in range(len(metrics))], deltas, height=height, label=table["names"][i])
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks([k + 0.4 - height / 2 for k in range(len(metrics))], metrics, fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel(f"Δ against {table['names'][0]}")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(paths["png"], dpi=120)
    plt.close(fig)
    return paths
