"""``scienceqa``: ScienceQA (Lu et al. 2022) multiple choice, as LLaVA evaluates it.

Data: a folder in ScienceQA's own layout::

    DIR/problems.json      {pid: {"question", "choices", "answer" (index), "hint", "image" ("image.png" | null),
                                  "subject", "grade" ("grade1".."grade12"), "split", ...}}
    DIR/pid_splits.json    {"train": [pid, ...], "val": [...], "test": [...]}
    DIR/images/<split>/<pid>/image.png

Prompt (LLaVA-1.5's ``llava_test_CQM-A.json`` + ``model_vqa_science.py --single-pred-prompt``, as
lmms-eval reproduces it): ``"Context: {hint}\\n"`` when there is a hint, the question, one line per
choice ``"A. ..."``, then "Answer with the option's letter from the given choices directly.".

Scoring reads the letter as LLaVA's ``llava/eval/eval_science_qa.py`` does (:func:`extract_letter`):
the whole answer is a letter, or it starts with "X. ", or contains "The answer is X"; anything else
is a failure. Accuracy overall and by subject (NAT/SOC/LAN), context modality (TXT: has a hint, IMG:
has an image, NO: neither) and grade (G1-6, G7-12), as ScienceQA's ``tools/evaluate_acc.py``.
``accuracy_lenient`` also accepts "(C)", "C)", "C." and "Answer: C", to tell a wrong answer from a
badly formatted one.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from llava_ros.eval.benchmarks import register_benchmark
from llava_ros.eval.paper import paper_results

OPTIONS = ("A", "B", "C", "D", "E")
INSTRUCTION = "Answer with the option's letter from the given choices directly."
SUBJECTS = {"natural science": "natural", "social science": "social", "language science": "language"}
_LENIENT = (re.compile(r"^\(?([A-E])\)(?:\s|$)"), re.compile(r"^([A-E])[.:]?$"),
            re.compile(r"\bAnswer:\s*\(?([A-E])\b"))


def build_prompt(problem: dict) -> str:
    context = f"Context: {problem['hint']}\n" if problem.get("hint") else ""
    choices = "\n".join(f"{letter}. {choice}" for letter, choice in zip(OPTIONS, problem["choices"]))
    return f"{context}{problem['question']}\n{choices}\n{INSTRUCTION}"


def extract_letter(answer: str, n_choices: int, lenient: bool = False) -> str | None:
    """The chosen letter, read as LLaVA's ``eval_science_qa.py`` (None where it says "FAILED"; a letter
    beyond the choices is a failure too). ``lenient`` adds "(C)", "C)", "C.", "Answer: C"."""
    text = answer.replace("\n", ". ")
    letter = None
    if text.strip() in OPTIONS:
        letter = text.strip()
    elif len(text) >= 3 and text[0] in OPTIONS and text[1:3] == ". ":
        letter = text[0]
    elif "The answer is " in text:
        match = re.search(r"The answer is ([A-E])\.", text) or re.search(r"The answer is ([A-E])", text)
        letter = match.group(1) if match else None
    if letter is None and lenient:
        for pattern in _LENIENT:
            match = pattern.search(text.strip())
            if match:
                letter = match.group(1)
                break
    return letter if letter in OPTIONS[:n_choices] else None


def grade_band(grade: str) -> str:
    number = int(re.fullmatch(r"grade(\d+)", grade).group(1))
    return "grades_1_6" if number <= 6 else "grades_7_12"


@register_benchmark("scienceqa")
class ScienceQABenchmark:
    """ScienceQA's ``split`` (default test) from a folder in its own format."""

    MAX_NEW_TOKENS = 16

    def __init__(self, data: str | Path, split: str = "test"):
        self.data, self.split = Path(data), split
        for name in ("problems.json", "pid_splits.json"):
            if not (self.data / name).is_file():
                raise FileNotFoundError(f"no {name} in {self.data}; --data must be a ScienceQA folder "
                                        "(problems.json, pid_splits.json, images/<split>/<pid>/)")

    @classmethod
    def from_args(cls, args) -> "ScienceQABenchmark":
        if not getattr(args, "data", None):
            raise ValueError("benchmark 'scienceqa' needs --data DIR (problems.json, pid_splits.json, images/)")
        return cls(args.data, args.split or "test")

    def options(self) -> dict:
        return {"data": str(self.data.resolve()), "split": self.split}

    def items(self, run_dir: Path | None = None, progress: bool = True) -> list[dict]:
        problems = json.loads((self.data / "problems.json").read_text())
        splits = json.loads((self.data / "pid_splits.json").read_text())
        if self.split not in splits:
            raise ValueError(f"split {self.split!r} not in {self.data / 'pid_splits.json'}; has {sorted(splits)}")
        items = []
        for pid in splits[self.split]:
            if pid not in problems:
                raise ValueError(f"pid {pid!r} of split {self.split!r} is not in problems.json")
            problem = problems[pid]
            image = None
            if problem.get("image"):
                path = self.data / "images" / self.split / pid / problem["image"]
                if not path.is_file():
                    raise FileNotFoundError(f"problem {pid} names image {problem['image']!r} but {path} is missing")
                image = str(path.resolve())
            items.append({"id": pid, "prompt": build_prompt(problem), "image": image,
                          "n_choices": len(problem["choices"]), "answer_letter": OPTIONS[problem["answer"]],
                          "subject": problem["subject"], "grade": problem["grade"],
                          "has_text": bool(problem.get("hint")), "has_image": image is not None})
        return items

    @staticmethod
    def score(rows: list[dict]) -> dict:
        scored = []
        for r in rows:
            strict = extract_letter(r["answer"], r["n_choices"])
            lenient = extract_letter(r["answer"], r["n_choices"], lenient=True)
            scored.append({**r, "parsed": strict, "correct": strict == r["answer_letter"],
                           "correct_lenient": lenient == r["answer_letter"]})

        def accuracy(group: list[dict]) -> float:
            return sum(r["correct"] for r in group) / len(group) if group else float("nan")

        groups = {
            **{name: [r for r in scored if r["subject"] == subject] for subject, name in SUBJECTS.items()},
            "text_context": [r for r in scored if r["has_text"]],
            "image_context": [r for r in scored if r["has_image"]],
            "no_context": [r for r in scored if not r["has_text"] and not r["has_image"]],
            "grades_1_6": [r for r in scored if grade_band(r["grade"]) == "grades_1_6"],
            "grades_7_12": [r for r in scored if grade_band(r["grade"]) == "grades_7_12"],
        }
        metrics = {"accuracy": accuracy(scored), **{name: accuracy(group) for name, group in groups.items()},
                   "accuracy_lenient": sum(r["correct_lenient"] for r in scored) / len(scored) if scored else float("nan"),
                   "unparsed_rate": sum(r["parsed"] is None for r in scored) / len(scored) if scored else float("nan")}
        counts = {"n_questions": len(scored), **{f"n_{name}": len(group) for name, group in groups.items()}}
        notes = ["Paper: LLaVA 90.92% and LLaVA + GPT-4 as judge 92.53% on the ScienceQA test split "
                 "(fine-tuned on ScienceQA; a different model and different data)."]
        return {"metrics": metrics, "counts": counts, "paper": paper_results("scienceqa", metrics), "notes": notes,
                "rows": scored}
