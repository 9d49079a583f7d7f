"""``llava-ros plan``: the example planner: instruction → ``ask_scene`` → chosen object → ``pick_object``.

    llava-ros plan "pick up the red cube"                          # starts sim + perception, seed 0
    llava-ros plan --seed 3 --model DIR "pick up the object left of the red cube"
    llava-ros launch all &  llava-ros plan --join "grasp the blue cylinder"   # use a running graph

The last line printed is one JSON object::

    {"success": bool, "answer": str, "target": {"label": str, "position_world": [x, y, z]} | null,
     "message": str, ...}

How a planner talks to the perception node, step by step (see :func:`plan`):

1. turn the instruction into grounding questions (:mod:`llava_ros.ros.plan_instruction`): one
   referring question for "the blue cylinder"; for "the object left of the red cube" a detailed
   description first, then one referring question per object it names and for the anchor (and, when
   none of those lies on the asked side, the same for a second listing, the counting question's);
2. call ``ask_scene`` (``AskScene``) with each, about camera frames taken after the scene was set up;
3. choose, among the answers' ``GroundedObject``s, the one the instruction means, with a valid
   3-D point (the node gives it in the world frame when the camera pose is known); when the one it
   means has none (its frame's depth image had not arrived), ask the referring question about it once
   more, about a newer frame;
4. send it to ``pick_object`` (``PickObject``); the sim acts on ``target.position`` only.
"""
from __future__ import annotations

import argparse
import json
import sys

from llava_ros.ask import DEFAULT_MODEL, check_model_folder
from llava_ros.commandline import standalone_main
from llava_ros.ros.plan_instruction import (RELIST_QUESTION, answer_budget, candidate_phrases, choose_target,
                                            grounding_question, label_referred, parse_instruction,
                                            picked_what_was_asked, reask_phrase, refer_question)


class AskFailed(Exception):
    """``ask_scene`` answered with an error (its text is the message)."""


def plan(client, instruction: str, newer_than: float | None = None, max_new_tokens: int = 0) -> dict:
    """One closed-loop episode through ``client`` (a :class:`~llava_ros.ros.plan_client.PlannerClient`).

    Returns the result JSON: ``success`` (something was lifted, and the executor does not report it
    as another object than the instruction's), ``answer`` (of the first question), ``target`` (or None),
    ``message``, and for evaluation ``instruction``, ``question`` (the first), ``asked`` (every
    question with its answer), ``objects``, ``picked_label``, ``lift_m`` and ``latency_s`` (``ask``:
    the service round trips, ``node``: the node's own answer times, both summed over the questions).
    """
    result = {"success": False, "answer": "", "target": None, "message": "", "instruction": instruction,
              "question": "", "asked": [], "objects": [], "picked_label": "", "lift_m": 0.0,
              "latency_s": {"ask": 0.0, "node": 0.0}}
    try:
        parsed = parse_instruction(instruction)
    except ValueError as err:
        result["message"] = str(err)
        return result
    result["question"] = grounding_question(parsed)

    def ask(question: str) -> list:
        """1-2. Ask the perception node about a fresh frame; the answer's grounded objects."""
        budget = answer_budget(question, max_new_tokens)
        response, ask_s = client.ask(question, newer_than=newer_than, max_new_tokens=budget)
        result["latency_s"]["ask"] = round(result["latency_s"]["ask"] + ask_s, 4)
        if not response.success:
            raise AskFailed(f"ask_scene failed: {response.error}")
        answer = response.answer
        result["asked"].append({"question": question, "answer": answer.answer})
        result["answer"] = result["answer"] or answer.answer
        result["latency_s"]["node"] = round(result["latency_s"]["node"] + float(answer.latency_s), 4)
        return list(answer.objects)

    try:
        if parsed.is_relation:
            objects, grounded = [], []
            for listing in (result["question"], RELIST_QUESTION):
                phrases = candidate_phrases(parsed, [o.label for o in ask(listing)], grounded)
                objects += [o for phrase in phrases for o in label_referred(ask(refer_question(phrase)), phrase)]
                grounded += phrases
                # 3. Choose the grounded object the instruction means.
                choice = choose_target(parsed, objects)
                if choice.target is not None or choice.unplaced is not None:
                    break  # something on the asked side (without a 3-D point: asked about again below)
        else:
            objects = label_referred(ask(result["question"]), parsed.target.phrase())
            choice = choose_target(parsed, objects)
        if choice.unplaced is not None:  # grounded on a frame whose depth had not arrived: ask once more
            phrase = reask_phrase(parsed, choice.unplaced)
            objects = label_referred(ask(refer_question(phrase)), phrase) + objects
            choice = choose_target(parsed, objects)
    except AskFailed as err:
        result["message"] = str(err)
        return result
    result["objects"] = [object_json(o) for o in objects]
    if choice.target is None:
        result["message"] = choice.reason
        return result
    result["target"] = object_json(choice.target, full=False)

    # 4. Pick it.
    picked, pick_s = client.pick(choice.target)
    result["latency_s"]["pick"] = round(pick_s, 4)
    agrees = picked_what_was_asked(parsed, picked.picked_label)
    result.update(success=bool(picked.success) and agrees, picked_label=picked.picked_label,
                  lift_m=round(float(picked.lift_m), 4), message=f"{choice.reason}; pick: {picked.message}"
                  + ("" if agrees else f"; that is not the {parsed.target.phrase()} asked for"))
    return result


def object_json(obj, full: bool = True) -> dict:
    """A ``GroundedObject`` as JSON: label, position_world ([x, y, z] or None) and its frame."""
    p = obj.position.point
    out = {"label": obj.label,
           "position_world": [round(p.x, 4), round(p.y, 4), round(p.z, 4)] if obj.position_valid else None,
           "frame_id": obj.position.header.frame_id}
    if full:
        out["bbox_xyxy"] = [round(float(c), 1) for c in obj.bbox_xyxy]
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("instruction", help='what to pick, e.g. "pick up the red cube" or '
                                            '"pick up the object left of the red cube"')
    parser.add_argument("--seed", type=int, default=None, help="layout seed for the sim (default: 0 when "
                                                               "starting the graph; keep the scene with --join)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="checkpoint folder for the perception node "
                                                                    "(default: the shipped model)")
    parser.add_argument("--join", action="store_true", help="use a running graph (llava-ros launch all) "
                                                            "instead of starting one")
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                        help="extra node parameter when starting the graph, as for llava-ros launch (repeatable)")
    parser.add_argument("--max-new-tokens", type=int, default=0, help="answer budget (0 = node parameter)")
    parser.add_argument("--log", default=None, help="file for the started graph's output (default: a temp file)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from llava_ros.ros.plan_client import LaunchedGraph, PlannerClient

    graph = None
    try:
        if not args.join:
            check_model_folder(args.model)
            graph = LaunchedGraph(args.model, args.seed or 0, tuple(args.set), args.log)
            print(f"[plan] starting sim + perception (log: {graph.log_path})", file=sys.stderr, flush=True)
        with PlannerClient() as client:
            client.wait_for_graph(graph)
            since = client.set_seed(args.seed) if args.join and args.seed is not None else client.now_s()
            result = plan(client, args.instruction, newer_than=since, max_new_tokens=args.max_new_tokens)
    except (RuntimeError, TimeoutError) as err:
        result = {"success": False, "answer": "", "target": None, "message": str(err)}
    finally:
        if graph is not None:
            graph.stop()
    print(f"[plan] {result['message']}", file=sys.stderr)
    print(json.dumps(result), flush=True)
    return 0 if result["success"] else 1


def main(argv: list[str] | None = None) -> int:
    return standalone_main("llava-ros plan", __doc__.splitlines()[0], add_arguments, run, argv)


if __name__ == "__main__":
    sys.exit(main())
