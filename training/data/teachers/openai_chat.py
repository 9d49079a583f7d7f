"""The ``openai`` teacher: any OpenAI-compatible chat-completions endpoint in the paper's GPT-4 role.

The request is the paper's recipe: a system message describing the task, then the few-shot seed
examples (:mod:`training.data.teachers.seed_examples`) as user → assistant pairs, then the scene's
symbolic context (:func:`training.data.context.symbolic_context`) as the last user message.

Responses are parsed into turns and validated: ``Question:`` / ``===`` / ``Answer:`` blocks for
``conversation`` and ``reasoning``, the whole text for ``brief`` and ``detail`` (whose question is
drawn from the paper's instruction lists). Every box must be well formed and must be one of the
context's boxes; anything else raises ``ValueError`` naming the problem.

    teacher = get("openai", base_url="http://localhost:8000/v1", model="qwen2.5-7b-instruct",
                  api_key_env="OPENAI_API_KEY")
"""
from __future__ import annotations

import json
import os
import random
import re
import urllib.error
import urllib.request
from dataclasses import dataclass, field

from llava_ros.boxes import box_text, parse_boxes
from training.data.context import context_boxes, symbolic_context
from training.data.instructions import BRIEF, DETAILED
from training.data.teachers.base import Turn, check_kind
from training.data.teachers.registry import register
from training.data.teachers.seed_examples import SEED_EXAMPLES

_COMMON = (
    "You are an AI visual assistant looking at a single image from a robot's front camera: a robot arm "
    "stands at the far side of a table (the top of the image) and objects stand on the table in front of it. "
    "You are given sentences describing the image and, for each visible object, its bounding box as "
    "'object: [x1, y1, x2, y2]', normalised coordinates from 0 to 1 (x1, y1 top left; x2, y2 bottom right). "
    "Answer as if you were seeing the image; never mention the descriptions or the coordinates list. "
    "Whenever you name an object, write its box right after its name exactly as given, e.g. "
    "'the red cube [0.41, 0.52, 0.49, 0.61]'. Never invent a box, an object or a fact that the "
    "information does not support. Left and right are as seen in the image; 'in front of' means "
    "nearer to the camera (lower in the image).")

SYSTEM_PROMPTS: dict[str, str] = {
    "brief": _COMMON + " Write one short caption of the image in a single sentence.",
    "conversation": _COMMON + (
        " Design a conversation between you and a person asking about this image. Ask diverse "
        "questions (object colours, shapes, counts, positions, whether an object is present, including "
        "objects that are absent) and give definite answers. Write each question as 'Question:' on its own "
        "line followed by the question, then a line '===', then 'Answer:' on its own line followed by the "
        "answer, then '===' before the next question."),
    "detail": _COMMON + (
        " Describe the image in detail in one paragraph: every object, its colour, shape and size, where "
        "it is, and how the objects are arranged relative to each other and to the robot."),
    "reasoning": _COMMON + (
        " Create one question that needs reasoning about the image, such as spatial relations, comparing "
        "sizes or counts, or which object the robot should pick for a goal and why, and answer it step "
        "by step. Write 'Question:' on its own line followed by the question, then a line '===', then "
        "'Answer:' on its own line followed by the answer."),
}

_SEPARATOR = re.compile(r"^\s*===+\s*$", re.M)


def build_messages(truth: dict, kind: str) -> list[dict]:
    """System message, few-shot seed examples, then this scene's context."""
    messages = [{"role": "system", "content": SYSTEM_PROMPTS[check_kind(kind)]}]
    for context, response in SEED_EXAMPLES[kind]:
        messages += [{"role": "user", "content": context}, {"role": "assistant", "content": response}]
    messages.append({"role": "user", "content": symbolic_context(truth)})
    return messages


def parse_qa(text: str) -> list[tuple[str, str]]:
    """``Question:`` / ``===`` / ``Answer:`` blocks → ``[(question, answer), ...]``."""
    blocks = [b.strip() for b in _SEPARATOR.split(text) if b.strip()]
    if not blocks:
        raise ValueError("response is empty: expected 'Question:' / '===' / 'Answer:' blocks")
    pairs: list[tuple[str, str]] = []
    for i, block in enumerate(blocks):
        expected = "Question:" if i % 2 == 0 else "Answer:"
        if not block.startswith(expected):
            raise ValueError(f"response block {i + 1} starts with {block[:40]!r}; expected {expected!r}")
        body = block[len(expected):].strip()
        if not body:
            raise ValueError(f"response block {i + 1} ({expected}) is empty")
        if i % 2 == 0:
            question = body
        else:
            pairs.append((question, body))
    if len(blocks) % 2:
        raise ValueError(f"response ends with a question without an answer: {blocks[-1][:80]!r}")
    return pairs


def check_boxes(text: str, allowed: dict[str, str]) -> None:
    """Every box in ``text`` must parse and be one of the context's boxes (label → box text)."""
    known = set(allowed.values())
    for phrase, box in parse_boxes(text, strict=True):
        if box_text(box) not in known:
            raise ValueError(f"box {box_text(box)} after {phrase!r} is not the box of any object in the "
                             f"context; known boxes: {allowed}")


@register("openai")
@dataclass
class OpenAIChatTeacher:
    """An OpenAI-compatible ``/chat/completions`` endpoint (``base_url`` ends before ``/chat``)."""

    base_url: str = "https://api.openai.com/v1"
    model: str = "gpt-4o"
    api_key_env: str = "OPENAI_API_KEY"  # name of the environment variable; "" sends no key
    temperature: float = 0.2
    max_tokens: int = 1024
    timeout_s: float = 120.0
    headers: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if self.api_key_env:
            key = os.environ.get(self.api_key_env)
            if not key:
                raise ValueError(f"environment variable {self.api_key_env!r} (api_key_env) is not set; "
                                 f"set it or pass api_key_env='' for an endpoint without keys")
            self.headers = {"Authorization": f"Bearer {key}"}

    def complete(self, messages: list[dict]) -> str:
        """POST the messages; return the first choice's text."""
        body = {"model": self.model, "messages": messages, "temperature": self.temperature,
                "max_tokens": self.max_tokens}
        url = self.base_url.rstrip("/") + "/chat/completions"
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", **self.headers})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout_s) as response:
                payload = json.loads(response.read().decode())
        except urllib.error.HTTPError as err:
            raise RuntimeError(f"{url} answered HTTP {err.code}: {err.read().decode(errors='replace')[:300]}") from err
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as err:
            raise ValueError(f"{url} returned no choices[0].message.content: {str(payload)[:300]}") from err
        if not isinstance(content, str) or not content.strip():
            raise ValueError(f"{url} returned an empty completion (model {self.model!r})")
        return content.strip()

    def respond(self, truth: dict, kind: str, rng: random.Random) -> list[Turn]:
        text = self.complete(build_messages(truth, kind))
        try:
            turns = self._turns(text, kind, rng)
            for turn in turns:
                check_boxes(turn.answer, context_boxes(truth))
        except ValueError as err:
            raise ValueError(f"teacher 'openai' (model {self.model!r}), {kind} response for seed "
                             f"{truth.get('seed')}: {err}") from err
        return turns

    @staticmethod
    def _turns(text: str, kind: str, rng: random.Random) -> list[Turn]:
        if kind in ("conversation", "reasoning"):
            pairs = parse_qa(text)
            if kind == "reasoning" and len(pairs) != 1:
                raise ValueError(f"expected one question and answer, got {len(pairs)}")
            return [Turn(q, a) for q, a in pairs]
        if "Question:" in text or "Answer:" in text:
            raise ValueError(f"expected plain text, got Question/Answer blocks: {text[:80]!r}")
        return [Turn(rng.choice(BRIEF if kind == "brief" else DETAILED), text)]
