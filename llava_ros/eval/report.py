"""Phase 2 output: a score summary as JSON, a Markdown table and a PNG bar chart."""
from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def markdown_table(title: str, metrics: dict, goals: dict, counts: dict) -> str:
    lines = [f"# {title}", "", "| metric | value | goal | met |", "|---|---|---|---|"]
    for name, value in metrics.items():
        goal = goals.get(name)
        met = "" if goal is None else ("yes" if value >= goal else "**no**")
        lines.append(f"| {name} | {_fmt(value)} | {'' if goal is None else f'>= {goal:.2f}'} | {met} |")
    lines += ["", "Questions: " + ", ".join(f"{k[2:]} {v}" for k, v in sorted(counts.items())), ""]
    return "\n".join(lines)


def write_report(run_dir: Path, title: str, summary: dict) -> dict[str, Path]:
    metrics, goals, counts = summary["metrics"], summary.get("goals", {}), summary.get("counts", {})
    paths = {"json": run_dir / "scores.json", "markdown": run_dir / "scores.md", "png": run_dir / "scores.png"}
    paths["json"].write_text(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=2) + "\n")
    paths["markdown"].write_text(markdown_table(title, metrics, goals, counts))
    names = list(metrics)
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(names)), 4))
    ax.bar(range(len(names)), [0 if math.isnan(metrics[n]) else metrics[n] for n in names], color="#4c72b0")
    for i, name in enumerate(names):
        if name in goals:
            ax.hlines(goals[name], i - 0.4, i + 0.4, colors="#c44e52", linestyles="--")
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_title(title + " (dashed: goal)")
    fig.tight_layout()
    fig.savefig(paths["png"], dpi=120)
    plt.close(fig)
    return paths
