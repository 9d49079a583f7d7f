"""A sim LLaVA-Bench: held-out scenes written in LLaVA-Bench's file format, so the protocol runs offline.

    llava-ros eval make-llava-bench --seeds 1000000000:1000000030 --out data/llava-bench-sim

Like LLaVA-Bench (COCO): per scene one question of each type — conversation (``conv``), detailed
description (``detail``) and complex reasoning (``complex``) — asked and answered by the rule teacher
from ground truth (the answers play GPT-4's reference answers), and a COCO-style context: captions and
every visible object's box as (x1, y1, x2, y2) fractions of the image.
"""
from __future__ import annotations

import json
import random
from pathlib import Path

from tqdm import tqdm

from llava_ros.eval.benchmarks.heldout import render_scene
from sim.captions import reference_captions
from sim.seeds import HELDOUT_SEED_START
from training.data.scene_facts import SceneFacts
from training.data.teachers.rules import RulesTeacher

KINDS = {"conv": "conversation", "detail": "detail", "complex": "reasoning"}  # LLaVA-Bench category → teacher kind


def scene_context(seed: int, truth: dict) -> dict:
    facts = SceneFacts(truth)
    brief = RulesTeacher().respond(truth, "brief", random.Random(f"{seed}/llava-bench/caption"))[0].answer
    instances = [{"category": o.label, "bbox": [round(v, 3) for v in (o.bbox_px[0] / facts.width, o.bbox_px[1] / facts.height,
                                                                    o.bbox_px[2] / facts.width, o.bbox_px[3] / facts.height)]}
                 for o in facts.visible]
    return {"id": str(seed), "image": f"{seed}.png", "captions": [brief, *reference_captions(truth)], "instances": instances}


def write_sim_llava_bench(seeds: range, out: Path, width: int = 336, height: int = 336,
                          progress: bool = True) -> dict[str, Path]:
    if seeds.start < HELDOUT_SEED_START:
        raise ValueError(f"the sim LLaVA-Bench uses held-out seeds >= {HELDOUT_SEED_START}; got {seeds.start}:{seeds.stop}")
    out.mkdir(parents=True, exist_ok=True)
    teacher = RulesTeacher()
    questions, answers, contexts = [], [], []
    for seed in tqdm(seeds, desc="writing sim LLaVA-Bench", disable=not progress):
        truth = render_scene(seed, out / "images", width, height)
        contexts.append(scene_context(seed, truth))
        for category, kind in KINDS.items():
            turns = teacher.respond(truth, kind, random.Random(f"{seed}/llava-bench/{category}"))
            if not turns:
                continue
            qid = len(questions)
            questions.append({"question_id": qid, "image": f"{seed}.png", "text": turns[0].question, "category": category})
            answers.append({"question_id": qid, "prompt": turns[0].question, "text": turns[0].answer,
                            "answer_id": f"rules-{qid}", "model_id": "rules-teacher", "metadata": {"seed": seed}})
    paths = {"questions": out / "questions.jsonl", "answers": out / "answers_gpt4.jsonl", "context": out / "context.jsonl"}
    for key, rows in (("questions", questions), ("answers", answers), ("context", contexts)):
        paths[key].write_text("".join(json.dumps(r) + "\n" for r in rows))
    return paths
