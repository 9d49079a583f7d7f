"""Training metrics: one JSON line per logged step, and PNG curves of loss and learning rate.

``OUTPUT/metrics.jsonl`` lines look like
``{"step": 10, "epoch": 0, "loss": 3.21, "lr": 0.002, "grad_norm": 1.4, "tokens": 4096,
"tokens_per_s": 812.5, "elapsed_s": 5.0}``: ``loss`` averaged over ranks, ``lr`` the rate the
step used, ``tokens`` the text tokens of the step over all ranks (image positions not counted).
A resumed run drops lines past its checkpoint first, so the file describes one consistent run.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

METRICS_NAME = "metrics.jsonl"
CURVES_NAME = "curves.png"


def read_metrics(path: str | Path) -> list[dict[str, Any]]:
    path = Path(path)
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


class MetricsWriter:
    """Append-only JSONL; on resume from ``start_step`` keeps only the lines up to that step."""

    def __init__(self, path: str | Path, start_step: int = 0):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        kept = [r for r in read_metrics(self.path) if r["step"] <= start_step] if start_step > 0 else []
        self.path.write_text("".join(json.dumps(r) + "\n" for r in kept))

    def log(self, record: dict[str, Any]) -> None:
        with self.path.open("a") as f:
            f.write(json.dumps(record) + "\n")


def plot_metrics(metrics_path: str | Path, png_path: str | Path, title: str = "") -> Path:
    """Loss and learning rate against optimizer step, side by side."""
    records = read_metrics(metrics_path)
    steps = [r["step"] for r in records]
    fig = Figure(figsize=(10, 4), layout="constrained")
    loss_ax, lr_ax = fig.subplots(1, 2)
    loss_ax.plot(steps, [r["loss"] for r in records], marker="." if len(steps) < 50 else None)
    loss_ax.set(xlabel="step", ylabel="loss", title="training loss")
    loss_ax.grid(alpha=0.3)
    lr_ax.plot(steps, [r["lr"] for r in records], color="tab:orange")
    lr_ax.set(xlabel="step", ylabel="learning rate", title="learning rate")
    lr_ax.ticklabel_format(axis="y", style="sci", scilimits=(-2, 2))
    lr_ax.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.savefig(str(png_path), dpi=100)
    return Path(png_path)
