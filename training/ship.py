"""Ship a trained run as the default model: copy the stage-2 checkpoint and write its model card.

    python -m training.ship --run runs/v0 --out models/llava-ros-sim

The card (``README.md`` in the model folder) records the architecture and parameter counts, the
data seeds, the exact recipe command, the wall time of every stage (from the runs' metrics) and
the held-out evaluation table (``RUN/eval_sim/scores.md``).
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

RECIPE_STAGES = ("clip", "llm", "stage1", "stage2")  # always in the card's table
GROUNDING_STAGES = ("grounding_1obj", "grounding", "grounding_more", "grounding_again",
                    "tower_tune")  # optional, after stage 2
STAGES = RECIPE_STAGES + GROUNDING_STAGES  # in training order
SHIPPABLE_STAGES = ("stage2",) + GROUNDING_STAGES
SHIPPED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "generation_config.json", "chat_template.jinja")
MAX_SIZE_MB = 50


def stage_wall_time_s(run: Path, stage: str) -> float | None:
    metrics = run / stage / "metrics.jsonl"
    if not metrics.is_file():
        return None
    lines = [json.loads(line) for line in metrics.read_text().splitlines() if line.strip()]
    return float(lines[-1].get("elapsed_s", 0.0)) if lines else None


def parameter_counts(model_dir: Path) -> dict[str, int]:
    from llava_ros.model import load_model

    model = load_model(model_dir)
    count = lambda module: sum(p.numel() for p in module.parameters())  # noqa: E731
    return {"vision": count(model.vision), "projector": count(model.projector), "llm": count(model.llm),
            "total": count(model)}


def last_stage(run: Path) -> str:
    """The last stage of ``run`` with a final checkpoint: the one to ship."""
    done = [s for s in SHIPPABLE_STAGES if (run / s / "final" / "config.json").is_file()]
    if not done:
        raise FileNotFoundError(f"{run / 'stage2' / 'final'} holds no trained model (config.json missing); "
                                "run training/recipe.sh first")
    return done[-1]


def vision_pretraining(recipe_env: str) -> str:
    if "clip_dense" in recipe_env:
        return "CLIP-contrastive plus patch–phrase pretraining (`clip_dense.yaml`)"
    return "CLIP-contrastive pretraining (`clip.yaml`)"


HARDWARE = {"cuda": "one CUDA GPU", "cpu": "a 2-core CPU, shared"}


def stage_devices(run: Path) -> set[str]:
    """The device types the stages' metrics record (``cpu``, ``cuda``); empty for runs older than the field."""
    devices = set()
    for stage in STAGES:
        metrics = run / stage / "metrics.jsonl"
        if metrics.is_file():
            devices |= {json.loads(line).get("device") for line in metrics.read_text().splitlines() if line.strip()}
    return devices - {None}


def training_hardware(recipe_env: str, devices: set[str] = frozenset()) -> str:
    """Where the recipe ran: the devices its metrics record, else what TRAIN_SET asked ("run.device=cuda ...")."""
    if devices:
        return " and ".join(HARDWARE.get(d, d) for d in sorted(devices, reverse=True))
    return HARDWARE["cuda"] if "run.device=cuda" in recipe_env else HARDWARE["cpu"]


def model_card(run: Path, out: Path, recipe_env: str, counts: dict[str, int], eval_table: str,
               status: str = "") -> str:
    config = json.loads((out / "config.json").read_text())
    hardware = training_hardware(recipe_env, stage_devices(run))
    times = {s: t for s in STAGES if (t := stage_wall_time_s(run, s)) is not None or s in RECIPE_STAGES}
    total_min = sum(t for t in times.values() if t) / 60
    rows = "\n".join(f"| {s} | {'n/a' if t is None else f'{t / 60:.1f} min'} |" for s, t in times.items())
    return f"""# llava-ros-sim

The default model of llava_ros: a LLaVA (Liu et al., 2023) trained from scratch on this project's
MuJoCo tabletop scenes with the paper's two-stage recipe, on {hardware}. It answers
instructions about the front camera's image and names objects with boxes in the fixed syntax of `llava_ros/boxes.py`
(`the red cube [x1, y1, x2, y2]`, normalised, two decimals). It knows only this sim's world
(6 colours × 4 shapes × 2 sizes on a table); it is not a general-purpose vision-language model.
{("" if not status else chr(10) + "**Status.** " + status + chr(10))}
## Architecture
| part | parameters |
|---|---|
| vision: CLIP-style ViT, {vision_pretraining(recipe_env)} on sim image–caption pairs | {counts['vision']:,} |
| projector: `{config.get('projector_type', config.get('projector', '?'))}` | {counts['projector']:,} |
| LLM: Llama, trained from scratch on the generated text | {counts['llm']:,} |
| total | {counts['total']:,} |

Template `{config.get('template', 'vicuna_v1')}`; image features from layer {config.get('vision_feature_layer', -2)}.
Weights: `model.safetensors` (safetensors only); tokenizer: byte-level BPE trained on the data.

## Training
Produced by the project's own commands (`training/recipe.sh`, which runs `llava-ros data generate`,
`python -m training.tokenizer` and `llava-ros train --config training/configs/{{clip|clip_dense,llm,stage1_pretrain,stage2_finetune}}.yaml`):

```bash
{recipe_env} bash training/recipe.sh
python -m training.ship --run {run} --out {out}
```

Data: rule-teacher instruction data (brief captions for stage 1; conversation, detailed description
and complex reasoning for stage 2) from training seeds only (below 1,000,000); evaluation uses
held-out seeds (1,000,000,000 and above) that training never saw.{grounding_note(times)}

| stage | wall time ({hardware}) |
|---|---|
{rows}

Total: {total_min:.0f} min.

## Evaluation (held-out seeds)
{eval_table}
"""


def grounding_note(times: dict) -> str:
    if not any(s in times for s in GROUNDING_STAGES):
        return ""
    return ("\n\nAfter stage 2, grounding stages (not in the paper; LLaVA-1.5 mixes region data into stage 2):\n"
            "`grounding_1obj` trains on LLaVA-1.5-style region records (phrase → box, box → phrase) of\n"
            "one-object scenes, then `grounding` (and `grounding_more`, `grounding_again`: the same again) on the stage-2 data\n"
            "plus region records of all scenes (`training/data/regions.py`, `docs/grounding.md`)."
            + ("\n`tower_tune` trains the vision tower too (`stage2_vision`, `optim.vision_lr`) on the same mix."
               if "tower_tune" in times else ""))


def ship(run: Path, out: Path, status: str = "") -> Path:
    final = run / last_stage(run) / "final"
    out.mkdir(parents=True, exist_ok=True)
    for name in SHIPPED_FILES:
        if (final / name).is_file():
            shutil.copy2(final / name, out / name)
    size_mb = sum(f.stat().st_size for f in out.iterdir() if f.is_file()) / 2**20
    if size_mb > MAX_SIZE_MB:
        raise ValueError(f"{out} is {size_mb:.1f} MB; the shipped model must stay under {MAX_SIZE_MB} MB")
    env = (run / "recipe.env").read_text().strip() if (run / "recipe.env").is_file() else ""
    scores = run / "eval_sim" / "scores.md"
    eval_table = scores.read_text().split("\n", 1)[1].strip() if scores.is_file() else "Not evaluated yet."
    (out / "README.md").write_text(model_card(run, out, env, parameter_counts(out), eval_table, status))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.ship", description=__doc__.splitlines()[0])
    parser.add_argument("--run", required=True, help="recipe run folder (RUNS of training/recipe.sh)")
    parser.add_argument("--out", default="models/llava-ros-sim")
    parser.add_argument("--status", default="", help="a plain statement of how far the model is from its goals")
    args = parser.parse_args(argv)
    try:
        print(f"shipped {ship(Path(args.run), Path(args.out), args.status)}")
    except (FileNotFoundError, ValueError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
