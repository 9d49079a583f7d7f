"""Multi-turn conversation questions (the paper's "conversation" type), answered from ground truth.

Each question type is a function ``(facts, rng) -> Turn | None`` (None: does not apply to this
scene); several templates per type, chosen by ``rng``. Every visible object an answer names
carries its box. Counting, yes/no, colour, shape and size questions also take the answer ``style`` of
:mod:`training.data.teachers.rules`: ``direct`` (the verdict first), ``scan`` (every visible object
left to right, then the verdict; colour, shape and size answers as ``direct``) or ``grounded`` (only the
objects the verdict rests on, then it).
"""
from __future__ import annotations

import random

from sim.catalogue import COLOURS, SHAPES
from training.data.scene_facts import SceneFacts, SceneObject, count_word, join_phrases
from training.data.teachers.base import Turn

MAX_TURNS = 5
# Grounded answers to a colour or shape question: the object's reference and box, then the verdict {v}.
GROUNDED_ATTRIBUTE = ("The {r} {b} is {v}.", "Looking at the {r} {b}: it is {v}.",
                      "There is the {r} {b}, and it is {v}.")
SIZES = ("small", "large")


def _plural(shape: str, n: int) -> str:
    return shape if n == 1 else shape + "s"


def _a(noun: str) -> str:
    return ("an " if noun[0] in "aeiou" else "a ") + noun


def _cap(text: str) -> str:
    return text[0].upper() + text[1:]


def _askable(facts: SceneFacts, rng: random.Random, hidden: str, obj: SceneObject | None
             ) -> tuple[SceneObject, str] | None:
    """(object, reference) for a question about the attribute ``hidden`` ("colour" or "shape") of ``obj``
    (default: one drawn at random): a reference that singles it out without naming that attribute."""
    candidates = [(o, ref) for o in facts.visible
                  if (ref := facts.unique_reference(o)) and getattr(o, hidden) not in ref]
    if obj is not None:
        candidates = [(o, ref) for o, ref in candidates if o is obj]
    return rng.choice(candidates) if candidates else None


def size_listing(facts: SceneFacts, obj: SceneObject, ref: str) -> str | None:
    """For a reference that singles ``obj`` out by its size ("small cube", "large red object"), the objects
    it picks among, left to right, each with its box and then its size, colour and shape: "Looking for
    cubes: the cube [..] is a large red cube, the cube [..] is a small blue cube". Each size is read off
    one object, as its colour is, not computed: v29's answers that compared box heights got the heights
    and the comparison wrong (17 of 29 over 120 held-out scenes, docs/grounding.md), while a box's height,
    bottom edge and shape give the size at once (a linear classifier on them is right on every object of
    14,311). Each object's full description lets the verdict copy the asked value after the words that
    precede it in the listing (:func:`_grounded_attribute`). None when ``ref`` names no size."""
    size, *rest = ref.split()
    if size not in SIZES:
        return None
    by_shape = rest == [obj.shape]
    group = sorted(facts.matching(shape=obj.shape) if by_shape else facts.matching(colour=obj.colour),
                   key=lambda o: o.u)
    member = obj.shape if by_shape else f"{obj.colour} object"
    listed = ", ".join(f"the {member} {o.box} is {_a(o.size + ' ' + o.label)}" for o in group)
    return f"Looking for {member}s: {listed}"


def walk(objects: list[SceneObject]) -> str:
    """``objects`` under each catalogue colour in turn (:meth:`SceneFacts.by_colour`), "none" for an empty
    one: "red, the red cube [..]; green, none; blue, the blue cube [..]; ...". For one shape, each step
    asks for a single label (a colour and the shape), the look-up the model does best (where-is and
    yes/no answers ground 0.98 to 0.99 of their objects), instead of finding the next object of the shape
    not yet named anywhere in the image, which leaves objects out (v34: 33 of 44 held-out counts by shape
    right; v42, which walks, 40 of 44; docs/grounding.md, v41 to v44)."""
    return "; ".join(f"{colour}, {', '.join(o.ref() for o in group) or 'none'}"
                     for colour, group in SceneFacts.by_colour(objects))


def _grounded_attribute(facts: SceneFacts, rng: random.Random, obj: SceneObject, ref: str, value: str) -> str:
    """A grounded colour or shape answer: the object's reference and box, then ``value``. When ``ref``
    names a size, the size listing picks the object and the verdict repeats its description: "..., the
    cube [..] is a small blue cube, so the small cube is a small blue cube [..]." After "a small" the
    verdict's value is the word that follows the same two words in the listing, a copy of one word where
    v34's verdict ("so the small cube [..] is blue") had to find the box written before the asked size and
    took another candidate's in 6 of v44's 12 wrong answers on 120 fresh scenes (docs/grounding.md, v47)."""
    listed = size_listing(facts, obj, ref)
    if listed is not None:
        return f"{listed}, so the {ref} is {obj.described()}."
    return rng.choice(GROUNDED_ATTRIBUTE).format(r=ref, b=obj.box, v=value)


def colour_of(facts: SceneFacts, rng: random.Random, obj: SceneObject | None = None, style: str = "direct"
              ) -> Turn | None:
    """What colour is the object a reference without its colour names (``obj``, or one drawn)? In the
    ``grounded`` style the answer boxes that object first and then names its colour, so that the colour
    is read where the box is instead of guessed before it."""
    if (asked := _askable(facts, rng, "colour", obj)) is None:
        return None
    obj, ref = asked
    question = rng.choice(["What colour is the {r}?", "What is the colour of the {r} in the image?",
                           "Which colour does the {r} have?", "Can you tell me the colour of the {r}?"])
    fact = {"type": "colour", "label": obj.label, "colour": obj.colour}
    if style == "grounded":
        return Turn(question.format(r=ref), _grounded_attribute(facts, rng, obj, ref, obj.colour), fact)
    answer = rng.choice(["The {r} is {c}: it is {o}.", "It is {c}. The {r} in the image is {o}.",
                         "{C}. You can see it as {o}."])
    return Turn(question.format(r=ref), answer.format(r=ref, c=obj.colour, C=_cap(obj.colour), o=obj.ref()), fact)


def shape_of(facts: SceneFacts, rng: random.Random, obj: SceneObject | None = None, style: str = "direct"
             ) -> Turn | None:
    """What shape is the object a reference without its shape names (``obj``, or one drawn)? The
    ``grounded`` style boxes the object before it names the shape, as :func:`colour_of` does."""
    if (asked := _askable(facts, rng, "shape", obj)) is None:
        return None
    obj, ref = asked
    question = rng.choice(["What shape is the {r}?", "What kind of object is the {r}?",
                           "Describe the shape of the {r}."])
    fact = {"type": "shape", "label": obj.label, "shape": obj.shape}
    if style == "grounded":
        return Turn(question.format(r=ref), _grounded_attribute(facts, rng, obj, ref, _a(obj.shape)), fact)
    answer = rng.choice(["The {r} is a {s}: {o}.", "It is a {s}, {o}.", "A {s}. It is {o}."])
    return Turn(question.format(r=ref), answer.format(r=ref, s=obj.shape, o=obj.ref()), fact)


def how_many(facts: SceneFacts, rng: random.Random, style: str = "direct", attrs: dict | None = None) -> Turn | None:
    """How many objects of a colour, of a shape, or in all are there? ``attrs`` (``{"colour": c}``,
    ``{"shape": s}`` or ``{}``) fixes what is counted; by default one of the three is drawn."""
    if attrs is None:
        attrs = rng.choice([{"colour": rng.choice(list(COLOURS))}, {"shape": rng.choice(SHAPES)}, {}])
    found = facts.matching(**attrs)
    n = len(found)
    colour, shape = attrs.get("colour"), attrs.get("shape")
    noun = f"{colour} objects" if colour else (f"{shape}s" if shape else "objects")
    question = rng.choice(["How many {n} are there in the image?", "How many {n} can you see?",
                           "Count the {n} on the table.", "What is the number of {n} in the picture?"])
    fact = {"type": "count", "colour": colour, "shape": shape, "n": n}
    if style == "scan":
        return Turn(question.format(n=noun), _count_after_scan(facts, rng, found, colour, shape, noun), fact)
    if style == "grounded":
        return Turn(question.format(n=noun), _count_after_listing(facts.reading_order(found, rng), noun, colour, shape), fact)
    listed = join_phrases([o.ref() for o in found])
    if n == 0:
        answer = rng.choice(["There are no {n} in the image.", "I cannot see any {n}; the count is zero."])
    elif n == 1:
        answer = rng.choice(["There is one: {l}.", "Just one, {l}."])
    else:
        answer = rng.choice(["There are {k} {n}: {l}.", "I can count {k} {n}: {l}."])
    return Turn(question.format(n=noun), answer.format(n=noun, k=count_word(n), l=listed), fact)


def scan(facts: SceneFacts, rng: random.Random) -> str:
    """The visible objects from left to right, each with its box: how scan-first answers begin."""
    if not facts.visible:
        return "I see no objects on the table."
    listed = join_phrases([o.ref() for o in facts.left_to_right()])
    return rng.choice(["Going from left to right, I see {l}.", "From left to right, the table holds {l}.",
                       "Scanning the table from left to right: {l}."]).format(l=listed)


def _count_after_scan(facts: SceneFacts, rng: random.Random, found: list[SceneObject], colour: str | None,
                      shape: str | None, noun: str) -> str:
    """The scan, then the ``found`` objects in its order and the verdict ("so there are two")."""
    found = sorted(found, key=lambda o: o.u)  # the order of facts.left_to_right()
    n = len(found)
    if colour or shape:
        kind, kinds = (colour, colour) if colour else (_a(shape), f"{shape}s")
        if n == 0:
            verdict = f"None of them is {kind}, so there are no {noun}."
        elif n == 1:
            verdict = f"Only {found[0].ref()} is {kind}, so there is one."
        else:
            verdict = f"{_cap(join_phrases([o.ref() for o in found]))} are {kinds}, so there are {count_word(n)}."
    else:
        verdict = f"So there are {count_word(n)} {noun}." if n != 1 else "So there is one object."
    return f"{scan(facts, rng)} {verdict}"


def _count_after_listing(found: list[SceneObject], noun: str, colour: str | None, shape: str | None) -> str:
    """The counted objects alone, then the verdict. A count by ``shape`` walks the colours (:func:`walk`):
    "Looking for cubes: red, none; green, the green cube [..]; ...; so there is one." A count of every
    object walks each shape in turn so ("Looking for cubes: ...; orange, none. Looking for spheres: ...;
    so there are five objects in all."): every step looks up one label, where v48's left-to-right listing
    named an object twice or left one out (25 of 36 held-out counts of every object right, 8 of the 11
    wrong ones with a repeat), and walking the colours alone, whose steps list several shapes, left
    more out (v42: 23 of 36; docs/grounding.md). A count by colour lists the objects in ``found``'s order
    (:meth:`SceneFacts.reading_order`: left to right but for near-tied neighbours), each followed by a
    comma: "Looking for green objects: the green cube [..], the green cone [..], so there are two." No
    "and" before the last object: with it, the answer has to know that the next object is the last
    before it names it (v26 listed all objects of 10 of 40 *training* scenes wrong, 7 of them at the
    "and"; docs/grounding.md, v29). (Words the tokenizer keeps whole: "Cubes" at the start of a sentence
    is rare enough in the data to be spelt in pieces, which a small LLM gets wrong.)"""
    verb = "is" if len(found) == 1 else "are"
    verdict = f"so there {verb} {count_word(len(found))}." if found else f"so there are no {noun}."
    if shape is not None:
        return f"Looking for {noun}: {walk(found)}; {verdict}"
    if colour is None:
        shapes = ". ".join(f"Looking for {s}s: {walk([o for o in found if o.shape == s])}" for s in SHAPES)
        total = f"so there {verb} {count_word(len(found))} {_plural('object', len(found))} in all."
        return f"{shapes}; {total if found else verdict}"
    if not found:
        return f"Looking for {noun}: no {noun}, {verdict}"
    return f"Looking for {noun}: {', '.join(o.ref() for o in found)}, {verdict}"


def closest_match(facts: SceneFacts, label: str) -> SceneObject | None:
    """The object a yes/no answer about ``label`` grounds: the object itself if visible, else the
    leftmost visible one of its colour, else of its shape, else the leftmost visible object (None:
    the table is empty)."""
    colour, shape = label.split()
    for group in (facts.matching(colour=colour, shape=shape), facts.matching(colour=colour),
                  facts.matching(shape=shape), facts.visible):
        if group:
            return min(group, key=lambda o: o.u)
    return None


def _verdict_after_match(facts: SceneFacts, label: str) -> str:
    """ "The closest match to a red cylinder is the red cube, so no, there is no red cylinder. It is the
    red cube [..]." The box follows the verdict, so that the decision compares the asked and the found
    label a few tokens apart: with the box between them (v15, v16), models decided on the shape alone
    and said yes after "the orange sphere" to "a yellow sphere" (docs/grounding.md, v16)."""
    match = closest_match(facts, label)
    if match is None:
        return f"I see no objects on the table, so no, there is no {label}."
    verdict = f"so yes, there is {_a(label)}" if match.label == label else f"so no, there is no {label}"
    return f"The closest match to {_a(label)} is the {match.label}, {verdict}. It is {match.ref()}."


def where_is(facts: SceneFacts, rng: random.Random) -> Turn | None:
    if not facts.visible:
        return None
    obj = rng.choice(facts.visible)
    question = rng.choice(["Where is the {l}?", "Where is the {l} in the image?",
                           "Can you locate the {l}?", "Show me where the {l} is.",
                           "Give the bounding box of the {l}."])
    ordered = facts.left_to_right()
    side = ["on the left side", "in the middle", "on the right side"][min(2, int(3 * obj.u / facts.width))]
    answer = rng.choice([f"The {{n}} is {side} of the image.", "It is here: {r}.",
                         f"You can find {{r}} {side} of the image."])
    if len(ordered) > 1 and rng.random() < 0.5:
        rank = ordered.index(obj)
        answer += f" It is number {rank + 1} of {len(ordered)} objects counted from the left."
    return Turn(question.format(l=obj.label), answer.format(n=obj.named(), r=obj.ref()),
                {"type": "where", "label": obj.label, "side": side, "rank": ordered.index(obj)})


def is_there(facts: SceneFacts, rng: random.Random, style: str = "direct", label: str | None = None) -> Turn | None:
    """Is ``label`` (default: drawn, present or absent by chance) in the image?"""
    present = [o.label for o in facts.visible]
    if label is None:
        absent = facts.absent_labels()
        pool = rng.choice([present or absent, absent or present])
        if not pool:
            return None
        label = rng.choice(pool)
    question = rng.choice(["Is there {a} in the image?", "Do you see {a}?",
                           "Is there {a} on the table?", "Can you spot {a} anywhere?"])
    if style == "grounded":
        text = _verdict_after_match(facts, label)
    elif style == "scan":
        verdict = (f"{_cap(facts.find(label).ref())} is one of them, so yes, there is {_a(label)}." if label in present
                   else f"None of them is {_a(label)}, so no, there is no {label}.")
        text = f"{scan(facts, rng)} {verdict}"
    elif label in present:
        answer = rng.choice(["Yes, there is {r}.", "Yes. {R} stands on the table."])
        obj = facts.find(label)
        text = answer.format(r=obj.ref(), R=_cap(obj.ref()))
    else:
        same_shape = facts.matching(shape=label.split()[1])
        text = rng.choice(["No, there is no {l} in the image.", "No, I do not see {a}."]).format(l=label, a=_a(label))
        if same_shape:
            text += f" I can see {join_phrases([o.ref() for o in same_shape])}, but no {label}."
    return Turn(question.format(a=_a(label)), text, {"type": "exists", "label": label, "answer": label in present})


def size_of(facts: SceneFacts, rng: random.Random, obj: SceneObject | None = None, style: str = "direct"
            ) -> Turn | None:
    """Is an object (``obj``, or one drawn) large or small? Asked only of an object its label singles out.
    The ``grounded`` style boxes the object before it names the size: "The red cube [..] is large."."""
    named = [o for o in facts.visible if len(facts.matching(colour=o.colour, shape=o.shape)) == 1]
    if obj is not None:
        named = [o for o in named if o is obj]
    if not named:
        return None
    obj = rng.choice(named)
    question = rng.choice(["Is the {l} large or small?", "How big is the {l}?", "What size is the {l}?"])
    fact = {"type": "size", "label": obj.label, "size": obj.size}
    if style == "grounded":
        answer = rng.choice(["The {l} is {s}.", "Looking at the {l}: it is {s}."])
        return Turn(question.format(l=obj.label), answer.format(l=obj.named(), s=obj.size), fact)
    answer = rng.choice(["The {l} is {s}: {o}.", "It is {s}. {O}"])
    described = obj.described()
    return Turn(question.format(l=obj.label),
                answer.format(l=obj.named(), s=obj.size, o=described, O=_cap(described) + "."), fact)


QUESTIONS = (colour_of, shape_of, how_many, where_is, is_there, size_of)
STYLED = (colour_of, shape_of, how_many, is_there, size_of)  # the question types whose answer depends on the answer style


def conversation(facts: SceneFacts, rng: random.Random, style: str = "direct") -> list[Turn]:
    """3–5 turns of different question types, in random order; no question is asked twice.
    ``style``: how counting and yes/no answers reach their verdict (see the module docstring)."""
    kinds = list(QUESTIONS) + [rng.choice([how_many, is_there, where_is])]
    rng.shuffle(kinds)
    turns: list[Turn] = []
    target = rng.randint(3, MAX_TURNS)
    for ask in kinds:
        turn = ask(facts, rng, style=style) if ask in STYLED else ask(facts, rng)
        if turn is not None and all(t.question != turn.question for t in turns):
            turns.append(turn)
        if len(turns) == target:
            break
    return turns
