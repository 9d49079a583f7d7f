"""An LLM judge over any OpenAI-compatible endpoint, with LLaVA-Bench's prompt, rules and score parsing.

The request is LLaVA's ``llava/eval/eval_gpt_review_bench.py`` (context given as captions) or
``eval_gpt_review_visual.py`` (captions and object boxes, LLaVA-Bench COCO): the system prompt
``SYSTEM_PROMPT``, then one user message::

    [Context]\\n{captions}[\\n\\n{boxes}]\\n\\n[Question]\\n{question}\\n\\n
    [Assistant 1]\\n{reference answer}\\n\\n[End of Assistant 1]\\n\\n
    [Assistant 2]\\n{model answer}\\n\\n[End of Assistant 2]\\n\\n[System]\\n{rule prompt}\\n\\n

at temperature 0.2. Assistant 1 is the reference (GPT-4 in the paper), Assistant 2 the model, so
``tuple = [reference, model]`` and the relative score is mean(model) / mean(reference) × 100 as
``summarize_gpt_review.py`` computes it. The rule prompts are those of LLaVA's ``table/rule.json``
(``RULES``; ``--judge-rules rule.json`` loads the original file instead).

HTTP goes through :class:`llava_ros.engine.remote_engine.RemoteEngine` (standard library): 4xx
raise ``ValueError`` at once; connection failures, 5xx and replies whose first line is not two scores
are retried, then raise :class:`JudgeError` naming the question.
"""
from __future__ import annotations

import json
import time
from pathlib import Path

from llava_ros.engine.remote_engine import RemoteEngine

SYSTEM_PROMPT = "You are a helpful and precise assistant for checking the quality of the answer."
JUDGE_TEMPERATURE = 0.2
_RATE = ("Please rate the helpfulness, relevance, accuracy, level of details of their responses. Each assistant "
         "receives an overall score on a scale of 1 to 10, where a higher score indicates better overall "
         "performance.\nPlease first output a single line containing only two values indicating the scores for "
         "Assistant 1 and 2, respectively. The two scores are separated by a space.\nIn the subsequent line, please "
         "provide a comprehensive explanation of your evaluation, avoiding any potential bias and ensuring that the "
         "order in which the responses were presented does not affect your judgment.")
_ASK = ("We would like to request your feedback on the performance of two AI assistants in response to the user "
        "question displayed above. The user asks the question on observing an image. ")
_WITH_BOXES = ("For your reference, the visual content in the image is represented with five descriptive sentences "
               "describing the same image and the bounding box coordinates of each object in the scene. These "
               "coordinates are in the form of bounding boxes, represented as (x1, y1, x2, y2) with floating numbers "
               "ranging from 0 to 1. These values correspond to the top left x, top left y, bottom right x, and "
               "bottom right y. \n")
_WITH_CAPTIONS = "For your reference, the visual content in the image is represented with a few sentences describing the image. \n"
RULES = {
    **{category: {"role": "Assistant", "prompt": _ASK + _WITH_BOXES + _RATE} for category in ("conv", "detail", "complex")},
    **{f"llava_bench_{category}": {"role": "Assistant", "prompt": _ASK + _WITH_CAPTIONS + _RATE}
       for category in ("conv", "detail", "complex")},
}


class JudgeError(RuntimeError):
    """The judge gave no usable review for a question after every retry."""


def load_rules(path: str | Path | None) -> dict:
    if path is None:
        return RULES
    rules = json.loads(Path(path).read_text())
    if not isinstance(rules, dict) or not all("prompt" in r and "role" in r for r in rules.values()):
        raise ValueError(f"{path} is not a rule file like LLaVA's table/rule.json ({{key: {{role, prompt}}}})")
    return rules


def context_text(context: dict) -> str:
    """The [Context] body: captions (+ "category: [x1, y1, x2, y2]" lines for the COCO format)."""
    if "captions" in context:
        captions = "\n".join(context["captions"])
        boxes = "\n".join(f'{i["category"]}: {i["bbox"]}' for i in context.get("instances", []))
        return f"{captions}\n\n{boxes}"
    caption = context["caption"]
    return "\n".join(caption) if isinstance(caption, list) else caption


def review_content(context: str, question: str, reference: str, answer: str, rule: dict) -> str:
    role = rule["role"]
    return (f"[Context]\n{context}\n\n"
            f"[Question]\n{question}\n\n"
            f"[{role} 1]\n{reference}\n\n[End of {role} 1]\n\n"
            f"[{role} 2]\n{answer}\n\n[End of {role} 2]\n\n"
            f"[System]\n{rule['prompt']}\n\n")


def parse_score(review: str) -> list[float] | None:
    """``[score 1, score 2]`` from the review's first line, as LLaVA's ``parse_score`` reads it (commas
    become spaces, then exactly two space-separated numbers), or None where it would return [-1, -1].
    Unlike the original, surrounding whitespace of the line is ignored."""
    pair = review.split("\n")[0].strip().replace(",", " ").split(" ")
    if len(pair) != 2:
        return None
    try:
        return [float(pair[0]), float(pair[1])]
    except ValueError:
        return None


class JudgeClient(RemoteEngine):
    """A chat-completions client sending the judge's system + user messages."""

    def __init__(self, base_url: str, model: str | None = None, api_key_env: str = "OPENAI_API_KEY",
                 temperature: float = JUDGE_TEMPERATURE, max_tokens: int = 1024, timeout: float = 120.0):
        super().__init__(base_url=base_url, model=model, api_key_env=api_key_env, timeout=timeout)
        self.temperature, self.max_tokens = temperature, max_tokens

    def review(self, content: str) -> str:
        body = {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens,
                "messages": [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": content}]}
        with self._request("POST", "/chat/completions", body) as response:
            reply = json.load(response)
        try:
            return reply["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise RuntimeError(f"judge at {self.base_url} answered without a message: {json.dumps(reply)[:200]}") from None

    def judge(self, content: str, question_id, retries: int = 2, wait_s: float = 0.5) -> tuple[str, list[float]]:
        """The review and its two scores; retries failed requests and unparseable first lines."""
        problem = ""
        for attempt in range(retries + 1):
            if attempt:
                time.sleep(wait_s)
            try:
                review = self.review(content)
            except RuntimeError as err:  # connection, timeout, 5xx
                problem = str(err)
                continue
            scores = parse_score(review)
            if scores is not None:
                return review, scores
            problem = f"first line {review.split(chr(10))[0][:80]!r} is not two scores separated by a space"
        raise JudgeError(f"judge {self.model_id} gave no usable review of question {question_id} "
                         f"in {retries + 1} attempts: {problem}")
