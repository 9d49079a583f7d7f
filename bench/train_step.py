"""Training-cost benchmark: seconds per stage-2 optimizer step of the real trainer, by model scale.

    python -m bench.train_step [--scales shipped,wide,wide336,large] [--steps 3] [--scenes 24] [--device cpu]

Renders `--scenes` training seeds and writes one record of every stage-2 kind per scene with the rules teacher
(grounded answers; instruction, region and drill records, as in the shipped model's mix), then,
per scale, builds a randomly initialised LLaVA of that size with the shipped model's tokenizer and times
`Trainer.step` under `training/configs/stage2_finetune.yaml` (batch 16 in micro-batches of 4, vision tower
frozen) after one warm-up step. The table gives each scale's seconds per step, its cost relative to the
shipped scale, and what the shipped model's CPU lineage (`--lineage-min`, its model card's total) would take
at that scale. Writes bench/results/train_step-<device>.json and .md.
"""
from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("MUJOCO_GL", "egl")

import torch  # noqa: E402

from bench.results import write_json  # noqa: E402
from llava_ros.model.config import read_config_json  # noqa: E402
from training.data.generate import generate  # noqa: E402
from training.train.config import load_config  # noqa: E402
from training.train.trainer import Trainer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CONFIG = ROOT / "training/configs/stage2_finetune.yaml"
SHIPPED = ROOT / "models/llava-ros-sim"  # its size is the `shipped` scale; its tower and tokenizer serve every scale
KINDS = ("conversation", "detail", "reasoning", "region", "verdict", "swap", "attribute", "size", "count")
LINEAGE_MIN = 1003  # CPU minutes of training behind the shipped model (its model card's total)


@dataclass(frozen=True)
class Scale:
    """A model size: the tower's input (image px, patch px) and the LLM's width, MLP, heads and depth."""

    image_size: int
    patch_size: int
    hidden: int
    intermediate: int
    heads: int
    layers: int

    @property
    def image_tokens(self) -> int:
        return (self.image_size // self.patch_size) ** 2

    def overrides(self) -> list[str]:
        return [f"model.vision.image_size={self.image_size}", f"model.vision.patch_size={self.patch_size}",
                f"model.text.hidden_size={self.hidden}", f"model.text.intermediate_size={self.intermediate}",
                f"model.text.num_attention_heads={self.heads}", f"model.text.num_key_value_heads={self.heads}",
                f"model.text.num_hidden_layers={self.layers}", "model.text.max_position_embeddings=2048"]


# Sizes beside the shipped model's own (`shipped`, read from its config by `shipped_model`).
LARGER = {
    "wide": Scale(224, 14, 384, 1032, 6, 4),
    "wide336": Scale(336, 14, 384, 1032, 6, 4),
    "large": Scale(336, 14, 512, 1376, 8, 6),
    "tiny": Scale(56, 14, 32, 64, 2, 1),  # smaller, for the benchmark's own test
}
SCALE_NAMES = ("shipped", *LARGER)


def shipped_model() -> tuple[Scale, list[str]]:
    """The shipped model's scale, and the overrides that give every scale its tower shape and projector."""
    config = read_config_json(SHIPPED)
    vision, text = config["vision_config"], config["text_config"]
    scale = Scale(vision["image_size"], vision["patch_size"], text["hidden_size"], text["intermediate_size"],
                  text["num_attention_heads"], text["num_hidden_layers"])
    tower = [f"model.vision.{key}={vision[key]}"
             for key in ("hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads")]
    return scale, tower + [f"model.projector={config['projector_type']}"]


def time_scale(scale: Scale, tower: list[str], data_json: Path, steps: int, device: str, work: Path) -> dict:
    """Median seconds per optimizer step after one warm-up step, and the LLM's parameter count."""
    cfg = load_config(CONFIG, tower + scale.overrides() + [
        "model.init_from=null", f"model.tokenizer={SHIPPED}", f"data.train_json=[{data_json}]",
        f"run.output_dir={work}", f"run.max_steps={steps + 1}", "run.save_every=0", "run.progress=false",
        f"run.device={device}"])
    trainer = Trainer(cfg)
    stream = trainer.micro_batches()
    sync = torch.cuda.synchronize if trainer.device.type == "cuda" else (lambda: None)
    times, tokens = [], []
    for k in range(steps + 1):
        sync()
        start = time.perf_counter()
        numbers = trainer.step(stream)
        sync()
        if k:  # the first step warms caches and allocators
            times.append(time.perf_counter() - start)
            tokens.append(numbers["tokens"])
    llm_params = sum(p.numel() for p in trainer.model.llm.parameters())
    trainer.close()
    return {"s_per_step": statistics.median(times), "text_tokens_per_step": statistics.mean(tokens),
            "llm_params": llm_params, "image_tokens": scale.image_tokens, "scale": scale.__dict__}


def markdown(rows: dict[str, dict], lineage_min: float, title: str) -> str:
    base = rows.get("shipped", {}).get("s_per_step")
    lines = [f"# {title}", "",
             "| scale | LLM (width x layers) | LLM params | image tokens | text tokens / step | s / step | x shipped "
             f"| shipped lineage ({lineage_min:.0f} CPU min) at this scale |", "|---|---|---|---|---|---|---|---|"]
    for name, r in rows.items():
        ratio = r["s_per_step"] / base if base else None
        relative, hours = (f"{ratio:.2f}", f"{lineage_min * ratio / 60:.1f} h") if ratio else ("-", "-")
        lines.append(f"| {name} | {r['scale']['hidden']} x {r['scale']['layers']} | {r['llm_params'] / 1e6:.1f}M | "
                     f"{r['image_tokens']} | {r['text_tokens_per_step']:.0f} | {r['s_per_step']:.2f} | {relative} "
                     f"| {hours} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="shipped,wide,wide336,large",
                        help=f"comma-separated, of {list(SCALE_NAMES)}")
    parser.add_argument("--steps", type=int, default=3, help="timed optimizer steps per scale (after one warm-up)")
    parser.add_argument("--scenes", type=int, default=24, help="training seeds rendered for the records")
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda"))
    parser.add_argument("--lineage-min", type=float, default=LINEAGE_MIN)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)
    names = [s.strip() for s in args.scales.split(",") if s.strip()]
    unknown = [n for n in names if n not in SCALE_NAMES]
    if unknown or not names:
        print(f"unknown scales {unknown}; known: {list(SCALE_NAMES)}", file=sys.stderr)
        return 2
    if args.device == "cuda" and not torch.cuda.is_available():
        print("--device cuda needs an NVIDIA GPU; this machine has none", file=sys.stderr)
        return 2
    if args.steps < 1 or args.scenes < 1:
        print(f"--steps and --scenes must be >= 1, got {args.steps} and {args.scenes}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="train_step_") as tmp:
        files = generate(range(args.scenes), Path(tmp) / "data", kinds=KINDS,
                         teacher_options={"answers": "grounded"}, progress=False)
        shipped, tower = shipped_model()
        scales = {"shipped": shipped, **LARGER}
        rows = {name: time_scale(scales[name], tower, files["stage2"], args.steps, args.device, Path(tmp) / name)
                for name in names}
    device = torch.cuda.get_device_name() if args.device == "cuda" else f"{platform.processor() or 'cpu'}, " \
                                                                        f"{torch.get_num_threads()} threads"
    title = f"Stage-2 training step by model scale ({device}, torch {torch.__version__})"
    table = markdown(rows, args.lineage_min, title)
    print(table)
    out = Path(args.out) / f"train_step-{args.device}.json"
    write_json({"device": device, "steps": args.steps, "scenes": args.scenes, "lineage_min": args.lineage_min,
                "rows": rows}, out)
    out.with_suffix(".md").write_text(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
