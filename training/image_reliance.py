"""Does a trained LLaVA read its image? Answer loss with the record's own image vs another scene's.

    python -m training.image_reliance --model runs/v4/stage2/final --data data/sim_v1/stage2_instruct.json

For the first N records of a LLaVA JSON file, the loss on the assistant tokens is computed twice:
with each record's own image, and with the image of the next record that shows a different scene.
Tokens are split into number tokens (any token with a digit: in the sim data, the box coordinates)
and the rest. A model that reads positions from the image has a clearly lower number loss with the
right image; equal losses mean it answers from a prior it learnt from the text alone. The losses
are teacher-forced, so the check costs two forward passes per record and no generation.

Prints a table and writes JSON (``--out``). Records that were trained on are fine here: the
question is whether the image changes the answer, not how well the model generalises.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import torch
import torch.nn.functional as F
from tqdm import tqdm

from llava_ros.model import ImageProcessor, load_pretrained
from training.data.llava_format import read_llava_json
from training.train.collate import pad_collate
from training.train.datasets import ConversationDataset, ImageLoader

CONDITIONS = ("right_image", "other_image")
GROUPS = ("number", "text")


def number_token_mask(tokenizer) -> torch.Tensor:
    """(vocab,) bool: tokens whose text contains a digit."""
    pieces = tokenizer.convert_ids_to_tokens(list(range(len(tokenizer))))
    return torch.tensor([any(c.isdigit() for c in piece) for piece in pieces])


def with_other_images(records: list[dict]) -> list[dict]:
    """Each record paired with the image of the next record (cyclically) that has a different image."""
    names = [r["image"] for r in records]
    if len(set(names)) < 2:
        raise ValueError("image reliance needs records of at least two different images")
    out = []
    for i, record in enumerate(records):
        j = next(k % len(records) for k in range(i + 1, i + len(records)) if names[k % len(records)] != names[i])
        out.append({**record, "image": names[j]})
    return out


@torch.no_grad()
def token_losses(model, batch: dict, pixel_values: torch.Tensor, number: torch.Tensor) -> dict[str, tuple[float, int]]:
    """Summed next-token loss and token count of the number and the other assistant tokens."""
    out = model(input_ids=batch["input_ids"], pixel_values=pixel_values,
                attention_mask=batch["attention_mask"], labels=batch["labels"])
    labels, logits = out.labels[:, 1:], out.logits[:, :-1].float()
    nll = F.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
    valid = labels != -100
    is_number = valid & number[labels.clamp(min=0)]
    return {"number": (nll[is_number].sum().item(), int(is_number.sum())),
            "text": (nll[valid & ~is_number].sum().item(), int((valid & ~is_number).sum()))}


def image_reliance(model, tokenizer, records: list[dict], image_folder: str | Path, template: str | None = None,
                   batch_size: int = 8, max_length: int = 1024, progress: bool = True) -> dict:
    """Mean loss per token group and condition, and how much the right image lowers it."""
    model.eval()
    template = template or model.config.template
    images = ImageLoader(image_folder, ImageProcessor(model.config.vision))
    datasets = {"right_image": records, "other_image": with_other_images(records)}
    datasets = {c: ConversationDataset(r, tokenizer, template, max_length, images, model.config.image_token_id)
                for c, r in datasets.items()}
    number = number_token_mask(tokenizer)
    sums = {c: {g: [0.0, 0] for g in GROUPS} for c in CONDITIONS}
    for start in tqdm(range(0, len(records), batch_size), desc="image reliance", disable=not progress):
        indices = range(start, min(start + batch_size, len(records)))
        for condition, dataset in datasets.items():
            batch = pad_collate([dataset[i] for i in indices], tokenizer.pad_token_id)
            for group, (total, count) in token_losses(model, batch, batch["pixel_values"], number).items():
                sums[condition][group][0] += total
                sums[condition][group][1] += count
    report: dict = {"records": len(records), "template": template}
    for condition in CONDITIONS:
        report[condition] = {g: sums[condition][g][0] / max(sums[condition][g][1], 1) for g in GROUPS}
    report["tokens"] = {g: sums["right_image"][g][1] for g in GROUPS}
    report["gain"] = {g: report["other_image"][g] - report["right_image"][g] for g in GROUPS}
    return report


def table(report: dict) -> str:
    lines = ["| tokens | count | loss, right image | loss, other scene's image | gain from the image |",
             "|---|---|---|---|---|"]
    for group in GROUPS:
        lines.append(f"| {group} | {report['tokens'][group]} | {report['right_image'][group]:.4f} | "
                     f"{report['other_image'][group]:.4f} | {report['gain'][group]:+.4f} |")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m training.image_reliance", description=__doc__.split("\n")[0])
    parser.add_argument("--model", required=True, help="LLaVA checkpoint folder (e.g. RUN/stage2/final)")
    parser.add_argument("--data", required=True, help="LLaVA JSON file")
    parser.add_argument("--images", help="image folder (default: the JSON file's folder/images)")
    parser.add_argument("--records", type=int, default=96, help="first N records (default %(default)s)")
    parser.add_argument("--template", help="conversation template (default: the model's)")
    parser.add_argument("--out", help="JSON report path")
    parser.add_argument("--quiet", action="store_true")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.records < 2:
        print("error: --records must be at least 2", file=sys.stderr)
        return 2
    model, tokenizer = load_pretrained(args.model)
    records = read_llava_json(args.data)[: args.records]
    images = args.images or Path(args.data).parent / "images"
    report = image_reliance(model, tokenizer, records, images, args.template, progress=not args.quiet)
    report["model"] = str(args.model)
    print(table(report))
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(report, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
