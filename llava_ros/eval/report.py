"""Phase 2 output: a score summary as JSON, a Markdown table and a PNG bar chart.

A summary is ``{"metrics": {name: value}, "counts": {"n_...": int}}`` plus, optionally, ``goals``
(``{name: minimum}``), ``spread`` (``{name: std}``, shown as "mean ± std"), ``paper`` (``{name:
{"value", "source"}}``: the paper's number where the protocol matches; a different model and
different data) and ``notes`` (lines printed under the table). ``rows`` is never written.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

PAPER_HEADER = "paper (different model and data)"


def _fmt(value: float) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))


def markdown_table(title: str, metrics: dict, goals: dict, counts: dict, spread: dict | None = None,
                   paper: dict | None = None, notes: list[str] | None = None) -> str:
    spread, paper = spread or {}, paper or {}
    header = "| metric | value | goal | met |" + (f" {PAPER_HEADER} |" if paper else "")
    lines = [f"# {title}", "", header, "|---|---|---|---|" + ("---|" if paper else "")]
    for name, value in metrics.items():
        goal = goals.get(name)
        met = "" if goal is None or not _is_number(value) else ("yes" if value >= goal else "**no**")
        shown = _fmt(value) + (f" ± {spread[name]:.3f}" if name in spread else "")
        line = f"| {name} | {shown} | {'' if goal is None else f'>= {goal:.2f}'} | {met} |"
        if paper:
            ref = paper.get(name)
            line += f" {_fmt(ref['value'])} ({ref['source']}) |" if ref else " |"
        lines.append(line)
    lines += ["", "Questions: " + ", ".join(f"{k[2:]} {v}" for k, v in sorted(counts.items())), ""]
    if paper:
        lines += ["Paper column: the published number for the same protocol, measured on a different model "
                  "and different data; it places our number, it is not a target.", ""]
    lines += [f"{note}" for note in notes or []] + ([""] if notes else [])
    return "\n".join(lines)


def write_chart(path: Path, title: str, metrics: dict, goals: dict, spread: dict, paper: dict) -> None:
    names = list(metrics)
    values = [metrics[n] if _is_number(metrics[n]) else 0.0 for n in names]
    fig, ax = plt.subplots(figsize=(max(6, 0.8 * len(names)), 4))
    ax.bar(range(len(names)), values, color="#4c72b0", label="this run",
           yerr=[spread.get(n, 0.0) for n in names] if spread else None, capsize=3)
    for i, name in enumerate(names):
        if name in goals:
            ax.hlines(goals[name], i - 0.4, i + 0.4, colors="#c44e52", linestyles="--")
    marked = [(i, paper[n]["value"]) for i, n in enumerate(names) if n in paper]
    if marked:
        ax.scatter(*zip(*marked), marker="D", color="black", zorder=3, label="paper (different model and data)")
        ax.legend(fontsize=7)
    top = max([1.0, *values, *(v for _, v in marked)])
    ax.set_xticks(range(len(names)), names, rotation=40, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05 * top if top <= 1.0 else 1.1 * top)
    ax.set_title(title + (" (dashed: goal)" if goals else ""), fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def write_report(run_dir: Path, title: str, summary: dict) -> dict[str, Path]:
    metrics, goals, counts = summary["metrics"], summary.get("goals", {}), summary.get("counts", {})
    spread, paper = summary.get("spread", {}), summary.get("paper", {})
    paths = {"json": run_dir / "scores.json", "markdown": run_dir / "scores.md", "png": run_dir / "scores.png"}
    paths["json"].write_text(json.dumps({k: v for k, v in summary.items() if k != "rows"}, indent=2) + "\n")
    paths["markdown"].write_text(markdown_table(title, metrics, goals, counts, spread, paper, summary.get("notes")))
    write_chart(paths["png"], title, metrics, goals, spread, paper)
    return paths
