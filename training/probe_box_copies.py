"""Does the LLM copy an earlier box where the next object's belongs? Teacher-forced, on held-out scenes.

    python -m training.probe_box_copies --model models/llava-ros-sim --seeds 1000000000:1000000040

Asks the `eval sim` questions with the rules teacher's ``grounded`` answers (the style the shipped model
is trained on) and feeds each answer in full. Wherever writing an earlier, different box of the same
answer would part from the true text (:func:`training.train.box_negatives.box_negatives`), it compares
the model's prediction there: the copy's token against the true one. ``copy_wins`` is the share of those
places where greedy decoding would start the copy; ``p_copy`` the mean probability of the copy's token.
A listing of five objects has a dozen such places, so a few percent per place is a wrong count every few
scenes. ``model.box_unlikelihood`` trains against exactly these tokens. ``--out`` writes the result as JSON.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from llava_ros.commandline import standalone_main
from llava_ros.eval.benchmarks import sim
from llava_ros.eval.benchmarks.heldout import render_truth
from llava_ros.model import ImageProcessor, load_model, load_tokenizer, preprocess
from training.data.scene_facts import SceneFacts
from training.heldout_probe import add_arguments, run_probe
from training.train.box_negatives import box_negatives


@torch.no_grad()
def copy_places(model, tokenizer, pixels: torch.Tensor, question: str, answer: str) -> list[tuple[float, bool]]:
    """``(p(copied token), copy outranks the true token)`` at each place of ``answer`` where it could
    start copying an earlier box."""
    def encode(turns):
        return preprocess(turns, tokenizer, model.config.template, image_token_id=model.config.image_token_id,
                          image_token="<image>", has_image=True)
    turns = [{"from": "human", "value": "<image>\n" + question}, {"from": "gpt", "value": answer}]
    tokens = encode(turns)
    negatives = box_negatives(turns, lambda c: encode(c).input_ids, tokens.input_ids, tokens.labels)
    if not len(negatives):
        return []
    logits = model(tokens.input_ids[None], pixel_values=pixels).logits[0]
    shift = len(logits) - len(tokens.input_ids)  # the image token became the tower's image tokens
    places = []
    for position, copied in negatives.tolist():
        probs = torch.softmax(logits[shift + position - 1].float(), dim=-1)
        true = int(tokens.input_ids[position])
        places.append((float(probs[copied]), bool(probs[copied] > probs[true])))
    return places


def probe(model_dir: Path, seeds: range, size: int = 336, progress: bool = True) -> dict:
    model, tokenizer = load_model(model_dir).eval(), load_tokenizer(model_dir)
    processor = ImageProcessor(model.vision.config)
    by_family: dict[str, list[tuple[float, bool]]] = {family: [] for family in sim.DRAWS}
    for seed in tqdm(seeds, desc="box copies", disable=not progress):
        rgb, truth = render_truth(seed, size, size)
        facts, pixels = SceneFacts(truth), processor(rgb)
        for family, draws in sim.DRAWS.items():
            for k in range(draws):
                turn = sim.draw_turn(facts, seed, family, k, style="grounded")
                if turn is not None:
                    by_family[family] += copy_places(model, tokenizer, pixels, turn.question, turn.answer)
    everything = [place for places in by_family.values() for place in places]
    return {"model": str(model_dir), "seeds": f"{seeds.start}:{seeds.stop}", "all": _summary(everything),
            "by_family": {family: _summary(places) for family, places in by_family.items() if places}}


def _summary(places: list[tuple[float, bool]]) -> dict:
    n = len(places)
    return {"places": n, "copy_wins": sum(w for _, w in places) / n if n else float("nan"),
            "p_copy": sum(p for p, _ in places) / n if n else float("nan")}


def run(args: argparse.Namespace) -> int:
    result = run_probe(probe, args)
    print("| questions | places | copy outranks the true token | mean p(copy) |\n|---|---|---|---|")
    for name, row in [("all", result["all"]), *result["by_family"].items()]:
        print(f"| {name} | {row['places']} | {row['copy_wins']:.3f} | {row['p_copy']:.3f} |")
    return 0


def main(argv: list[str] | None = None) -> int:
    return standalone_main("python -m training.probe_box_copies", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
