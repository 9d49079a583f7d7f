"""``llava-bench``: the LLaVA-Bench protocol (Liu et al. 2023, Sec. 5.1) on its own file format.

Data folder (LLaVA-Bench In-the-Wild / COCO layout; :mod:`llava_ros.eval.benchmarks.llava_bench_sim`
writes a sim one)::

    DIR/questions.jsonl     {"question_id", "image", "text", "category": "conv" | "detail" | "complex"}
    DIR/answers_gpt4.jsonl  {"question_id", "text", "answer_id", ...}   the reference answers
    DIR/context.jsonl       {"image", "caption": str | [str]}                         (In-the-Wild)
                            {"image", "captions": [str], "instances": [{"category", "bbox"}]}  (COCO)
    DIR/images/<image>

Predict answers each question about its image. Score sends context, question, reference and model
answer to a judge (:mod:`llava_ros.eval.judge`), ``--judge-repeats`` times, keeping every review in
``reviews_<k>.jsonl`` (resumable; a changed model answer is judged again). Relative score per category
and overall = mean(model score) / mean(reference score) × 100 per repeat, reported as mean ± std
over repeats. Without ``--judge-url`` the stored reviews are summarised, if they cover every answer.
"""
from __future__ import annotations

import json
import statistics
from pathlib import Path

from tqdm import tqdm

from llava_ros.eval.benchmarks import register_benchmark
from llava_ros.eval.judge import JudgeClient, context_text, load_rules, review_content
from llava_ros.eval.paper import paper_results, unchecked_note
from llava_ros.eval.predict import read_jsonl

CATEGORIES = ("conv", "detail", "complex")
FILES = ("questions.jsonl", "answers_gpt4.jsonl", "context.jsonl")


def relative_scores(reviews: list[dict]) -> dict[str, float]:
    """``relative_score_<category>`` and ``relative_score_all`` (× 100) as summarize_gpt_review.py."""
    groups: dict[str, list[list[float]]] = {}
    for review in reviews:
        groups.setdefault(review["category"], []).append(review["tuple"])
        groups.setdefault("all", []).append(review["tuple"])
    out = {}
    for name in (*CATEGORIES, "all"):
        if groups.get(name):
            reference = statistics.fmean(t[0] for t in groups[name])
            model = statistics.fmean(t[1] for t in groups[name])
            out[f"relative_score_{name}"] = 100.0 * model / reference if reference else float("nan")
    if groups.get("all"):
        out["model_score_mean"] = statistics.fmean(t[1] for t in groups["all"])
        out["reference_score_mean"] = statistics.fmean(t[0] for t in groups["all"])
    return out


def summarise_repeats(per_repeat: list[dict[str, float]]) -> tuple[dict, dict]:
    """Mean and (sample) standard deviation of each metric over the judge repeats."""
    names = [name for name in per_repeat[0]]
    means = {n: statistics.fmean(r[n] for r in per_repeat) for n in names}
    spread = {n: statistics.stdev(r[n] for r in per_repeat) for n in names} if len(per_repeat) > 1 else {}
    return means, spread


@register_benchmark("llava-bench")
class LlavaBenchBenchmark:
    MAX_NEW_TOKENS = 512

    def __init__(self, data: str | Path):
        self.data = Path(data)
        missing = [name for name in FILES if not (self.data / name).is_file()]
        if missing:
            raise FileNotFoundError(f"{self.data} lacks {', '.join(missing)}; --data must be a LLaVA-Bench folder "
                                    f"({', '.join(FILES)}, images/)")

    @classmethod
    def from_args(cls, args) -> "LlavaBenchBenchmark":
        if not getattr(args, "data", None):
            raise ValueError("benchmark 'llava-bench' needs --data DIR (questions.jsonl, answers_gpt4.jsonl, "
                             "context.jsonl, images/); `llava-ros eval make-llava-bench` writes a sim one")
        return cls(args.data)

    def options(self) -> dict:
        return {"data": str(self.data.resolve())}

    def items(self, run_dir: Path | None = None, progress: bool = True) -> list[dict]:
        references = {r["question_id"]: r for r in read_jsonl(self.data / "answers_gpt4.jsonl")}
        contexts = {c["image"]: c for c in read_jsonl(self.data / "context.jsonl")}
        items = []
        for q in read_jsonl(self.data / "questions.jsonl"):
            if q["category"] not in CATEGORIES:
                raise ValueError(f"question {q['question_id']}: category {q['category']!r} is not one of {CATEGORIES}")
            if q["question_id"] not in references:
                raise ValueError(f"question {q['question_id']} has no reference answer in answers_gpt4.jsonl")
            if q["image"] not in contexts:
                raise ValueError(f"image {q['image']!r} of question {q['question_id']} has no line in context.jsonl")
            image = self.data / "images" / q["image"]
            if not image.is_file():
                raise FileNotFoundError(f"question {q['question_id']} names {image}, which is missing")
            context = contexts[q["image"]]
            coco = "captions" in context
            reference = references[q["question_id"]]
            items.append({"id": str(q["question_id"]), "question_id": q["question_id"], "category": q["category"],
                          "prompt": q["text"], "image": str(image.resolve()), "format": "coco" if coco else "wild",
                          "rule": q["category"] if coco else f"llava_bench_{q['category']}",
                          "context": context_text(context), "reference": reference["text"],
                          "reference_id": reference.get("answer_id", reference["question_id"])})
        return items

    @staticmethod
    def score(rows: list[dict]) -> dict:
        raise ValueError("llava-bench is scored by a judge: llava-ros eval score --bench llava-bench --run RUN "
                         "--judge-url URL [--judge-model NAME]")

    @staticmethod
    def score_run(rows: list[dict], run_dir: Path, options) -> dict:
        """Judge every row ``options.judge_repeats`` times (reusing stored reviews) and summarise."""
        rules = load_rules(options.judge_rules)
        client = None
        per_repeat = []
        for k in range(options.judge_repeats):
            path = run_dir / f"reviews_{k}.jsonl"
            stored = {r["question_id"]: r for r in read_jsonl(path)}
            todo = [r for r in rows if stored.get(r["question_id"], {}).get("model_answer") != r["answer"]]
            if todo and not options.judge_url:
                raise ValueError(f"{len(todo)} answers in {run_dir} have no review in {path.name}; "
                                 "pass --judge-url URL to judge them")
            if todo and client is None:
                client = JudgeClient(options.judge_url, options.judge_model, options.judge_api_key_env)
            with path.open("a") as sink:
                for row in tqdm(todo, desc=f"judging (repeat {k + 1}/{options.judge_repeats})",
                                disable=not options.progress):
                    if row["rule"] not in rules:
                        raise ValueError(f"rule {row['rule']!r} of question {row['question_id']} is not in the rule file")
                    content = review_content(row["context"], row["prompt"], row["reference"], row["answer"],
                                             rules[row["rule"]])
                    text, scores = client.judge(content, row["question_id"], retries=options.judge_retries)
                    review = {"question_id": row["question_id"], "answer1_id": row["reference_id"],
                              "answer2_id": row["id"], "category": row["category"], "content": text,
                              "tuple": scores, "model_answer": row["answer"], "judge": client.model_id}
                    sink.write(json.dumps(review) + "\n")
                    sink.flush()
                    stored[row["question_id"]] = review
            per_repeat.append(relative_scores([stored[r["question_id"]] for r in rows]))
        metrics, spread = summarise_repeats(per_repeat)
        formats = {r["format"] for r in rows}
        paper = paper_results("llava-bench-coco" if formats == {"coco"} else "llava-bench-wild", metrics)
        counts = {f"n_{c}": sum(r["category"] == c for r in rows) for c in CATEGORIES}
        notes = [f"Relative score: mean model score / mean reference score × 100; mean ± std over "
                 f"{options.judge_repeats} judge run(s); judge {client.model_id if client else 'from stored reviews'}.",
                 *unchecked_note(paper)]
        return {"metrics": metrics, "spread": spread, "counts": counts, "paper": paper, "notes": notes,
                "per_repeat": per_repeat, "rows": rows}
