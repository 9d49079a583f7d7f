"""The planner's language side (pure, no ROS): instruction → grounding question → chosen target.

    instruction = parse_instruction("pick up the object left of the red cube")
    question = grounding_question(instruction)          # what to ask the perception node
    choice = choose_target(instruction, answer.objects)  # answer: a SceneAnswer (or look-alike)

Instructions name an object by attribute ("pick up the blue cylinder", "grasp the large red
object") or by an image-space relation to another one ("pick up the object left of the red cube",
"take the cone to the right of the green sphere"). Left and right are the image's (the camera's
view), as in :mod:`training.data.scene_facts`.

Questions: the planner grounds every object it needs with the referring prompt the model was tuned
on (LLaVA-1.5's ``Please provide the bounding box coordinate of the region this sentence
describes: ...``, see :mod:`training.data.regions`), whose answer is the box alone. An attribute
instruction asks it once, about the named object. A relation instruction first asks for a detailed
description, which names every visible object, then grounds the anchor and each object named one by
one with the referring prompt; the planner applies the relation itself on those boxes (the object on
that side of the anchor nearest to it). When none lies on that side (the description missed an
object), it asks ``RELIST_QUESTION``, the model's counting listing, and grounds the objects that one
names too. A box that overlaps the anchor's by ``SAME_OBJECT_IOU`` or more
is the anchor under another name (the model may call one cube both "blue cube" and "blue sphere"), not
an object beside it. Spatial reasoning on grounded boxes is exact, where asking
the model "where is the object left of the red cube?" would rely on a question it was never tuned
on, and a referring answer's box is more often right than the boxes inside a long description.

``choose_target`` works on anything with ``label``, ``bbox_xyxy`` and ``position_valid`` (the
``GroundedObject`` messages of a ``SceneAnswer``), so tests feed it objects built from ground truth.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

from llava_ros.answer_budget import DEFAULT_MAX_NEW_TOKENS
from llava_ros.eval.answers import first_colour, first_shape, iou
from training.data.regions import REFER_PROMPT

LIST_QUESTION = "Describe the following image in detail."  # a detail instruction: names every object
# Asked when the description names no object on the asked side of the anchor: a counting question,
# whose grounded answer lists every object it counts with its box, shape by shape and colour by colour
# (the model's other listing of the scene; a description asked twice is the same greedy answer twice).
RELIST_QUESTION = "How many objects are there in the image?"
LIST_QUESTIONS = (LIST_QUESTION, RELIST_QUESTION)
# Their answers name up to six objects with boxes, about 25 tokens each (a budget of 128 tokens cut the
# fifth object's box off, and with it the object): the default budget, the room a count of every object
# takes, whatever the node's own parameter says.
LIST_TOKENS = DEFAULT_MAX_NEW_TOKENS
MAX_CANDIDATES = 8  # objects of one listing grounded one by one (the sim shows at most 6)
SAME_OBJECT_IOU = 0.5  # a box overlapping the anchor's this much is the anchor under another name
SIZE_WORDS = ("small", "large")
_VERB = re.compile(r"^(?:please\s+)?(?:pick\s+up|pick|grasp|grab|take|get|fetch|lift|find)\b\s*")
_RELATION = re.compile(r"^(?P<target>.+?)\s+(?:that\s+is\s+|which\s+is\s+|standing\s+)?(?:to\s+the\s+|on\s+the\s+)?"
                       r"(?P<side>left|right)\s+of\s+(?P<anchor>.+)$")
_ARTICLE = re.compile(r"^(?:the|a|an)\s+")


@dataclass(frozen=True)
class Descriptor:
    """What a phrase says about an object: colour, shape and size words (None when not said)."""

    colour: str | None = None
    shape: str | None = None
    size: str | None = None

    @classmethod
    def parse(cls, phrase: str) -> "Descriptor":
        words = phrase.lower().split()
        return cls(first_colour(phrase), first_shape(phrase), next((w for w in words if w in SIZE_WORDS), None))

    @property
    def names_something(self) -> bool:
        return self.colour is not None or self.shape is not None

    def phrase(self) -> str:
        """``"large red cube"``; ``"red object"`` without a shape."""
        return " ".join(w for w in (self.size, self.colour, self.shape or "object") if w)

    def sizeless_phrase(self) -> str:
        """``"red cube"``: colour and shape without the size word."""
        return Descriptor(self.colour, self.shape).phrase()

    def match(self, label: str) -> int:
        """How many of our attributes ``label`` states (-1 when it contradicts one of them)."""
        other = Descriptor.parse(label)
        score = 0
        for mine, theirs in ((self.colour, other.colour), (self.shape, other.shape), (self.size, other.size)):
            if mine is None or theirs is None:
                continue
            if mine != theirs:
                return -1
            score += 1
        return score

    def required(self) -> int:
        """Score of a label that states every attribute we name."""
        return sum(a is not None for a in (self.colour, self.shape, self.size))


@dataclass(frozen=True)
class Instruction:
    text: str
    target: Descriptor
    side: str | None = None  # "left" | "right" for relation instructions
    anchor: Descriptor | None = None

    @property
    def is_relation(self) -> bool:
        return self.side is not None


def _strip(phrase: str) -> str:
    return _ARTICLE.sub("", phrase.strip(" .!?,;:\"'")).strip()


def parse_instruction(text: str) -> Instruction:
    """``"pick up the red cube"`` → :class:`Instruction`; ``ValueError`` when no object is named."""
    phrase = _VERB.sub("", " ".join(text.lower().split()).strip(" .!?"))
    phrase = _strip(phrase)
    relation = _RELATION.match(phrase)
    if relation:
        target, anchor = Descriptor.parse(_strip(relation["target"])), Descriptor.parse(_strip(relation["anchor"]))
        if not anchor.names_something:
            raise ValueError(f"instruction {text!r}: the object it is {relation['side']} of names no colour or "
                             f"shape; say e.g. 'pick up the object left of the red cube'")
        return Instruction(text, target, relation["side"], anchor)
    target = Descriptor.parse(phrase)
    if not target.names_something:
        raise ValueError(f"instruction {text!r} names no object colour or shape; "
                         f"say e.g. 'pick up the red cube' or 'pick up the object left of the red cube'")
    return Instruction(text, target)


def refer_question(phrase: str) -> str:
    """The referring question for one object, e.g. ``refer_question("red cube")``."""
    return REFER_PROMPT.format(f"the {phrase}")


def grounding_question(instruction: Instruction) -> str:
    """The first question to ask the perception node about the scene (see the module docstring)."""
    if instruction.is_relation:
        return LIST_QUESTION
    return refer_question(instruction.target.phrase())


def answer_budget(question: str, requested: int = 0) -> int:
    """``max_new_tokens`` to ask ``question`` with: ``requested`` when set (0 = the node's default),
    except that the listing questions get ``LIST_TOKENS`` unless a budget was requested."""
    return requested or (LIST_TOKENS if question in LIST_QUESTIONS else 0)


def candidate_phrases(instruction: Instruction, listed: Sequence[str], grounded: Sequence[str] = ()) -> list[str]:
    """What a relation instruction grounds one by one: its anchor, then every other object a listing
    named (``listed``: its labels), each once, at most ``MAX_CANDIDATES`` in all, leaving out the
    phrases already ``grounded``.

    The phrases are colour and shape (``"red cube"``), without the listing's size words: the model
    calls one object "small" and "large" in one description, and asking about each spelling would
    spend the candidates on one object twice (seed 1000002025 of the grasp benchmark lost its target,
    the ninth phrase, that way). The anchor keeps the instruction's own words."""
    anchor = instruction.anchor
    phrases = [anchor.phrase()]
    for label in listed:
        descriptor = Descriptor.parse(label)
        if anchor.match(label) == anchor.required():
            continue  # the anchor again ("large red cube" for "red cube")
        phrase = descriptor.sizeless_phrase()
        if descriptor.names_something and phrase not in phrases:
            phrases.append(phrase)
    return [p for p in phrases if p not in grounded][:MAX_CANDIDATES]


def reask_phrase(instruction: Instruction, unplaced) -> str:
    """What to ask the referring question about again when the object ``unplaced`` was chosen but has
    no 3-D point: the instruction's target, or for a relation the chosen object's colour and shape
    (the target's words when its label names neither)."""
    descriptor = Descriptor.parse(unplaced.label)
    if instruction.is_relation and descriptor.names_something:
        return descriptor.sizeless_phrase()
    return instruction.target.phrase()


def label_referred(objects: Sequence, phrase: str) -> list:
    """The first box of a referring answer, labelled with the phrase it was asked about (the answer
    is the box alone); empty when the answer gives no box."""
    if not objects:
        return []
    obj = objects[0]
    if not Descriptor.parse(obj.label).names_something:
        obj.label = phrase
    return [obj]


@dataclass
class Choice:
    target: Any | None  # the chosen grounded object (with a valid 3-D position), or None
    reason: str  # why this one, or why none
    unplaced: Any | None = None  # the object it would have chosen, had it a 3-D position


def _centre_u(obj) -> float:
    return 0.5 * (float(obj.bbox_xyxy[0]) + float(obj.bbox_xyxy[2]))


def _best(descriptor: Descriptor, objects: Sequence) -> Any | None:
    """The object whose label states most of ``descriptor`` (first one on ties), None when none fits."""
    scored = [(descriptor.match(o.label), -i, o) for i, o in enumerate(objects)]
    scored = [s for s in scored if s[0] > 0]
    return max(scored, key=lambda s: s[:2])[2] if scored else None


def _unique_by_label(objects: Sequence) -> list:
    """One object per label (an answer may name an object twice); unlabelled boxes are kept."""
    seen, unique = set(), []
    for obj in objects:
        key = Descriptor.parse(obj.label)
        if key.names_something and key in seen:
            continue
        seen.add(key)
        unique.append(obj)
    return unique


def _with_position(obj, why: str) -> Choice:
    if not obj.position_valid:
        return Choice(None, f"the {obj.label or 'object'} was grounded but has no valid 3-D position "
                            f"(missing depth or camera info?)", unplaced=obj)
    return Choice(obj, why)


def choose_target(instruction: Instruction, objects: Sequence) -> Choice:
    """The grounded object the instruction means (see the module docstring)."""
    objects = _unique_by_label(objects)
    grounded = ", ".join(repr(o.label) for o in objects)
    if not objects:
        return Choice(None, "no object grounded: the answer gives no boxes")
    if instruction.is_relation:
        return _choose_by_relation(instruction, objects, grounded)
    wanted = instruction.target
    best = _best(wanted, objects)
    if best is not None:  # a partial match ("red object" for "red cube") is still the best there is
        return _with_position(best, f"best label match for {wanted.phrase()!r}: {best.label!r}")
    unnamed = [o for o in objects if not Descriptor.parse(o.label).names_something]
    if len(objects) == 1 and unnamed:
        return _with_position(unnamed[0], f"the answer's only box (unlabelled: {unnamed[0].label!r})")
    return Choice(None, f"no grounded object matches {wanted.phrase()!r} (grounded: {grounded})")


def _choose_by_relation(instruction: Instruction, objects: list, grounded: str) -> Choice:
    anchor = _best(instruction.anchor, objects)
    if anchor is None:
        return Choice(None, f"the {instruction.anchor.phrase()} was not grounded (grounded: {grounded})")
    u0, side = _centre_u(anchor), instruction.side
    others = [o for o in objects if o is not anchor and instruction.anchor.match(o.label) < instruction.anchor.required()
              and instruction.target.match(o.label) >= 0
              and iou(o.bbox_xyxy, anchor.bbox_xyxy) < SAME_OBJECT_IOU]
    beside = [o for o in others if (_centre_u(o) < u0 if side == "left" else _centre_u(o) > u0)]
    if not beside:
        return Choice(None, f"no grounded {instruction.target.phrase()} {side} of the {anchor.label} "
                            f"(grounded: {grounded})")
    nearest = min(beside, key=lambda o: abs(_centre_u(o) - u0))
    if not nearest.position_valid:  # the same object grounded again, on a frame with depth
        nearest = next((o for o in beside
                        if o.position_valid and iou(o.bbox_xyxy, nearest.bbox_xyxy) >= SAME_OBJECT_IOU), nearest)
    return _with_position(nearest, f"the {instruction.target.phrase()} nearest {side} of the {anchor.label}: "
                                   f"{nearest.label!r}")


def picked_what_was_asked(instruction: Instruction, picked_label: str) -> bool:
    """Does what the executor reports it lifted (``picked_label``; empty when it cannot tell, as on a
    real robot) agree with the instruction's target? A relation's "object" agrees with anything."""
    return not picked_label or instruction.target.match(picked_label) >= 0
