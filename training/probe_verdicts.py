"""Does the LLM conclude right when the grounding is handed to it? Teacher-forced verdicts.

    python -m training.probe_verdicts --model runs/v13/grounded/final --seeds 1000000000:1000000040

Asks the `eval sim` questions whose ``grounded``-style answers (``llava-ros data generate --answers
grounded``) reach a verdict after naming objects: yes/no ("The closest match to a red cone is the red
cube, so no, ..."), counting ("Looking for cubes: the red cube [..], so there is one."), left/right and
front/behind (their two numbers compared: "Of 0.34 and 0.61, the first is smaller"). The rules
teacher's true answer is fed up to its verdict, and the verdict counts as right when greedy decoding
continues with exactly its words ("no"; "are two"; "smaller"). So the score is how well the LLM decides
from a correct grounding. The grounding itself (which objects it names) is not scored here; `eval sim`
scores whole answers. Yes/no verdicts are also split by what the closest match shares with the asked
label (``match_kind``): a model that decides on the shape alone says yes after "the orange sphere" to "a
yellow sphere". ``--out`` writes the result as JSON, each question's verdict included (``items``).
"""
from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import torch
from tqdm import tqdm

from llava_ros.commandline import standalone_main
from llava_ros.eval.benchmarks import sim
from llava_ros.eval.benchmarks.heldout import render_truth
from llava_ros.model import ImageProcessor, load_model, load_tokenizer, preprocess
from training.data.scene_facts import SceneFacts
from training.data.teachers.rules.conversation import closest_match
from training.heldout_probe import add_arguments, run_probe

# family -> the verdict of a grounded answer (group 1): the words the decision is made in
VERDICTS = {
    "exists": re.compile(r"so (yes|no), there is"),
    "count": re.compile(r"so there ((?:is|are) \w+)\b"),
    "left_of": re.compile(r"the first is (smaller|larger)\. So (?:yes|no), the"),
    "in_front_of": re.compile(r"the first is (smaller|larger), so the \w+ \w+ is in front of"),
}


MATCH_KINDS = ("itself", "same colour", "same shape", "neither", "empty table")


def match_kind(facts: SceneFacts, label: str) -> str:
    """What the object a yes/no answer about ``label`` grounds (its closest match) shares with it."""
    match = closest_match(facts, label)
    if match is None:
        return "empty table"
    colour, shape = label.split()
    if match.label == label:
        return "itself"
    return "same colour" if match.colour == colour else "same shape" if match.shape == shape else "neither"


def split_at_verdict(family: str, answer: str) -> tuple[str, str]:
    """``(text before the verdict, the verdict)``: ``("... so ", "no")``, ``("... so there ", "are two")``,
    ``("... 0.61, the first is ", "smaller")``; a clear error if the answer has no verdict."""
    match = VERDICTS[family].search(answer)
    if match is None:
        raise ValueError(f"no {family} verdict in {answer!r}")
    return answer[:match.start(1)], match.group(1)


@torch.no_grad()
def verdict_right(model, tokenizer, pixels: torch.Tensor, question: str, before: str, verdict: str) -> bool:
    """Whether greedy decoding after the prompt and ``before`` (teacher-forced) yields every token of ``verdict``."""
    def tokens(answer: str) -> torch.Tensor:
        turns = [{"from": "human", "value": "<image>\n" + question}, {"from": "gpt", "value": answer}]
        return preprocess(turns, tokenizer, model.config.template, image_token_id=model.config.image_token_id,
                          image_token="<image>", has_image=True).input_ids
    full, cut = tokens(before + verdict), tokens(before.rstrip())
    start = next(i for i in range(len(full)) if i >= len(cut) or full[i] != cut[i])  # the verdict's first token
    end = len(full) - (len(cut) - start)  # both end in the same separator tokens
    if end <= start:
        raise ValueError(f"could not find the tokens of {verdict!r} after {before[-40:]!r}")
    logits = model(full[None, :end], pixel_values=pixels).logits[0]
    shift = len(logits) - end  # the image token became the tower's image tokens
    return bool((logits[shift + start - 1:shift + end - 1].argmax(-1) == full[start:end]).all())


def probe(model_dir: Path, seeds: range, size: int = 336, progress: bool = True) -> dict:
    model, tokenizer = load_model(model_dir).eval(), load_tokenizer(model_dir)
    processor = ImageProcessor(model.vision.config)
    items = []
    for seed in tqdm(seeds, desc="verdicts", disable=not progress):
        rgb, truth = render_truth(seed, size, size)
        facts, pixels = SceneFacts(truth), processor(rgb)
        for family in VERDICTS:
            for k in range(sim.DRAWS[family]):
                turn = sim.draw_turn(facts, seed, family, k, style="grounded")
                if turn is None:
                    continue
                before, verdict = split_at_verdict(family, turn.answer)
                item = {"seed": seed, "family": family, "question": turn.question, "before": before,
                        "verdict": verdict,
                        "right": verdict_right(model, tokenizer, pixels, turn.question, before, verdict)}
                if family == "exists":
                    item["match"] = match_kind(facts, turn.fact["label"])
                items.append(item)
    by_family = {f: [i["right"] for i in items if i["family"] == f] for f in VERDICTS}
    by_match = {kind: [i["right"] for i in items if i.get("match") == kind] for kind in MATCH_KINDS}
    return {"model": str(model_dir), "seeds": f"{seeds.start}:{seeds.stop}",
            "asked": {f: len(r) for f, r in by_family.items()},
            "accuracy": {f: _share(r) for f, r in by_family.items()},
            "exists_by_match": {kind: {"asked": len(r), "accuracy": _share(r)} for kind, r in by_match.items()},
            "items": items}


def _share(rights: list[bool]) -> float:
    """The fraction of True in ``rights`` (NaN when empty)."""
    return sum(rights) / len(rights) if rights else float("nan")


def run(args: argparse.Namespace) -> int:
    result = run_probe(probe, args)
    for family, accuracy in result["accuracy"].items():
        print(f"{family}: verdict right {accuracy:.3f} of {result['asked'][family]} (teacher-forced grounding)")
    for kind, tally in result["exists_by_match"].items():
        if tally["asked"]:
            print(f"  exists, closest match {kind}: right {tally['accuracy']:.3f} of {tally['asked']}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return standalone_main("python -m training.probe_verdicts", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
