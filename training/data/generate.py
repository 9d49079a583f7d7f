"""Render training seeds and write LLaVA-format instruction data for both training stages.

    python -m training.data.generate --seeds 0:1000 --out data/sim            # rules teacher
    python -m training.data.generate --seeds 0:100 --out data/sim_llm --teacher openai \\
        --base-url http://localhost:8000/v1 --model qwen2.5-7b-instruct --api-key-env ""

Output (``--image_folder`` for the trainer is ``OUT/images``)::

    OUT/images/000042.png            the camera image
    OUT/images/000042.scene.json     its ground truth (sim.ground_truth schema)
    OUT/stage1_captions.json         kind "brief": one caption per seed (feature alignment)
    OUT/stage2_instruct.json         kinds "conversation", "detail", "reasoning": one record per
                                     seed and kind, mixed in one file (instruction tuning)
    OUT/stage2_regions.json          kind "region", only when asked: LLaVA-1.5's region data
                                     (training.data.regions), a separate file to mix into stage 2
    OUT/stage2_verdicts.json         kind "verdict", only when asked: one-question drills of the
                                     grounded answers' verdicts (training.data.verdicts)
    OUT/stage2_swaps.json            kind "swap", only when asked: colour-swap yes/no pairs alone
                                     (training.data.verdicts.swap_turns)
    OUT/stage2_attributes.json       kind "attribute", only when asked: every colour and shape
                                     question of each scene (training.data.attributes)
    OUT/stage2_sizes.json            kind "size", only when asked: the colour and shape questions
                                     that name their object by its size (training.data.attributes)
    OUT/stage2_counts.json           kind "count", only when asked: every counting question by shape,
                                     by colour present and in all (training.data.counts)

Deterministic: the same seeds give the same files. Held-out seeds are refused before anything is
rendered (:func:`sim.seeds.check_training_seed`).
"""
from __future__ import annotations

import argparse
import json
import random
import sys
from pathlib import Path
from typing import Iterable

import cv2
from tqdm import tqdm

from sim.camera import Camera
from sim.ground_truth import scene_ground_truth
from sim.layout import sample_layout
from sim.scene import SceneConfig, TabletopScene
from sim.seeds import check_training_seed, parse_seed_range
from training.data import teachers
from training.data.attributes import attribute_turns, size_turns
from training.data.counts import count_turns
from training.data.llava_format import make_record, write_llava_json
from training.data.regions import region_turns
from training.data.scene_facts import SceneFacts
from training.data.teachers import KINDS, STAGE_OF_KIND, check_kind
from training.data.teachers.rules import ANSWER_STYLES
from training.data.verdicts import swap_turns, verdict_turns

REGION_KIND = "region"  # built from the annotations, never by a teacher (see training.data.regions)
VERDICT_KIND = "verdict"  # the rules teacher's grounded answers, one question per record (training.data.verdicts)
SWAP_KIND = "swap"  # colour-swap yes/no pairs alone, one question per record (training.data.verdicts)
ATTRIBUTE_KIND = "attribute"  # every colour and shape question of a scene, one per record (training.data.attributes)
SIZE_KIND = "size"  # the attribute questions that name their object by size (training.data.attributes)
COUNT_KIND = "count"  # every counting question by shape, colour present and in all, one per record (training.data.counts)
DRILLS = {VERDICT_KIND: verdict_turns, SWAP_KIND: swap_turns, ATTRIBUTE_KIND: attribute_turns,
          SIZE_KIND: size_turns, COUNT_KIND: count_turns}  # one question per record
DATA_KINDS = (*KINDS, REGION_KIND, *DRILLS)
# Output file of each kind: key in generate()'s result → file name.
FILES = {"stage1": "stage1_captions.json", "stage2": "stage2_instruct.json", "regions": "stage2_regions.json",
         "verdicts": "stage2_verdicts.json", "swaps": "stage2_swaps.json", "attributes": "stage2_attributes.json",
         "sizes": "stage2_sizes.json", "counts": "stage2_counts.json"}
FILE_OF_KIND = {**{kind: f"stage{stage}" for kind, stage in STAGE_OF_KIND.items()}, REGION_KIND: "regions",
                VERDICT_KIND: "verdicts", SWAP_KIND: "swaps", ATTRIBUTE_KIND: "attributes",
                SIZE_KIND: "sizes", COUNT_KIND: "counts"}
IMAGES_DIR = "images"


def render_seed(seed: int, width: int, height: int, n_objects: int | None = None) -> tuple:
    """(rgb image, ground truth) of a seed's scene (``n_objects``: that many objects instead of 1–6)."""
    scene = TabletopScene(sample_layout(seed, n_objects), SceneConfig(width=width, height=height))
    with Camera(scene) as camera:
        frame = camera.frame()
        truth = scene_ground_truth(scene, camera, frame)
    return frame.rgb, truth


def scene_name(seed: int, n_objects: int | None = None) -> str:
    """``000042``, or ``000042_1obj`` for a scene with a fixed object count (its own image: the
    same seed lays out a different table), which also suffixes the data files' names."""
    return f"{seed:06d}" if n_objects is None else f"{seed:06d}_{n_objects}obj"


def data_file(name: str, n_objects: int | None = None) -> str:
    """File name of output ``name`` (a key of :data:`FILES`): ``stage2_regions_1obj.json`` for ``n_objects=1``."""
    stem = FILES[name].removesuffix(".json")
    return f"{stem}.json" if n_objects is None else f"{stem}_{n_objects}obj.json"


def write_image(images_dir: Path, name: str, rgb, truth: dict) -> str:
    """Write ``name``.png and ``name``.scene.json; return the image path relative to ``images_dir``."""
    png = images_dir / f"{name}.png"
    if not cv2.imwrite(str(png), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)):
        raise OSError(f"could not write {png}")
    (images_dir / f"{name}.scene.json").write_text(json.dumps(truth, indent=1) + "\n")
    return png.name


def existing_render(images_dir: Path, name: str, seed: int, width: int, height: int) -> tuple[str, dict] | None:
    """(image name, ground truth) of an earlier render ``name`` of ``seed`` at this size, or None."""
    png, truth_path = images_dir / f"{name}.png", images_dir / f"{name}.scene.json"
    if not (png.is_file() and truth_path.is_file()):
        return None
    truth = json.loads(truth_path.read_text())
    if (truth["camera"]["width"], truth["camera"]["height"]) != (width, height) or truth["seed"] != seed:
        return None
    return png.name, truth


def records_for(teacher, truth: dict, image: str, seed: int, name: str, kinds: Iterable[str],
                variants: int = 1) -> dict[str, list[dict]]:
    """``variants`` LLaVA records per kind (different draws of questions and phrasing) of the scene
    ``name`` (:func:`scene_name`) of ``seed``, by output file (:data:`FILE_OF_KIND`). A region record
    is skipped for a scene with no visible object; drill turns (:data:`DRILLS`) are one record each."""
    by_file: dict[str, list[dict]] = {}
    for kind in kinds:
        for v in range(variants):
            rng = random.Random(f"{seed}:{kind}" if v == 0 else f"{seed}:{kind}:{v}")
            suffix = "" if v == 0 else f"_{v}"
            if kind in DRILLS:
                records = [make_record(f"sim{name}_{kind}{suffix}_{k}", image, [(t.question, t.answer)])
                           for k, t in enumerate(DRILLS[kind](SceneFacts(truth), rng))]
            else:
                turns = (region_turns(SceneFacts(truth), rng) if kind == REGION_KIND
                         else teacher.respond(truth, kind, rng))
                records = [make_record(f"sim{name}_{kind}{suffix}", image, [(t.question, t.answer) for t in turns])
                           ] if turns else []
            by_file.setdefault(FILE_OF_KIND[kind], []).extend(records)
    return by_file


def generate(seeds: Iterable[int], out_dir: str | Path, kinds: Iterable[str] = KINDS, teacher: str = "rules",
             width: int = SceneConfig.width, height: int = SceneConfig.height,
             teacher_options: dict | None = None, progress: bool = True, variants: int = 1,
             reuse_renders: bool = False, n_objects: int | None = None) -> dict[str, Path]:
    """Render every seed and write the data files; returns ``{"stage1": path, "stage2": path,
    "regions": path, "images": dir}`` (a file only if one of ``kinds`` goes to it, see :data:`FILES`). ``reuse_renders`` takes a seed's image and
    ground truth from an earlier run into the same folder when they exist at this size. ``n_objects``
    fixes the number of objects per scene (a curriculum: one-object scenes teach reading positions
    before telling objects apart); the default draws 1–6 as the sim does."""
    if variants < 1:
        raise ValueError(f"variants must be >= 1, got {variants}")
    seeds = [check_training_seed(int(s)) for s in seeds]
    if not seeds:
        raise ValueError("no seeds given")
    kinds = [check_kind(k, DATA_KINDS) for k in kinds]
    if not kinds:
        raise ValueError(f"no kinds given; known: {list(DATA_KINDS)}")
    chosen = teachers.get(teacher, **(teacher_options or {}))
    out = Path(out_dir)
    images_dir = out / IMAGES_DIR
    images_dir.mkdir(parents=True, exist_ok=True)
    by_file: dict[str, list[dict]] = {name: [] for name in FILES if name in {FILE_OF_KIND[k] for k in kinds}}
    rendered = 0
    for seed in tqdm(seeds, desc=f"generating ({teacher})", unit="scene", disable=not progress):
        name = scene_name(seed, n_objects)
        earlier = existing_render(images_dir, name, seed, width, height) if reuse_renders else None
        if earlier is None:
            rendered += 1
            rgb, truth = render_seed(seed, width, height, n_objects)
            image = write_image(images_dir, name, rgb, truth)
        else:
            image, truth = earlier
        for key, records in records_for(chosen, truth, image, seed, name, kinds, variants).items():
            by_file[key] += records
    if reuse_renders and rendered:
        print(f"note: no earlier {width}x{height} render of {rendered} of {len(seeds)} scenes in {images_dir}; "
              f"rendered them", file=sys.stderr)
    paths = {key: write_llava_json(out / data_file(key, n_objects), records) for key, records in by_file.items()}
    paths["images"] = images_dir
    return paths


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llava-ros data generate", description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", required=True, type=parse_seed_range,
                        help="training seeds A:B (B exclusive) or a single seed; must be < 1,000,000")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--teacher", default="rules", choices=teachers.names())
    parser.add_argument("--kinds", default=",".join(KINDS),
                        help=f"comma-separated response kinds of {','.join(DATA_KINDS)} (default: the "
                             f"paper's {','.join(KINDS)})")
    parser.add_argument("--width", type=int, default=SceneConfig.width)
    parser.add_argument("--height", type=int, default=SceneConfig.height)
    parser.add_argument("--base-url", help="openai teacher: endpoint, e.g. http://localhost:8000/v1")
    parser.add_argument("--model", help="openai teacher: model name")
    parser.add_argument("--api-key-env", help="openai teacher: environment variable holding the key "
                                              "('' for none)")
    parser.add_argument("--answers", choices=ANSWER_STYLES,
                        help="rules teacher: counting and yes/no answers give the verdict first (direct, "
                             "the default), list the table left to right first (scan), or name only the "
                             "objects the verdict rests on first, with relations in the question's order "
                             "and colour and shape answers boxing their object before naming the attribute "
                             "(grounded)")
    parser.add_argument("--variants", type=int, default=1,
                        help="records per kind and scene (different questions and phrasings of the same image)")
    parser.add_argument("--reuse-renders", action="store_true",
                        help="take images + scene.json already in OUT/images instead of rendering again "
                             "(scenes without one are rendered, and a note says how many)")
    parser.add_argument("--objects", type=int, help="objects per scene (default: 1–6 drawn per seed, as the sim "
                                                    "does); a curriculum uses 1 first")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = {k: v for k, v in {"base_url": args.base_url, "model": args.model,
                                 "api_key_env": args.api_key_env, "answers": args.answers}.items() if v is not None}
    kinds = [k.strip() for k in args.kinds.split(",") if k.strip()]
    if args.answers and args.teacher != "rules":
        print(f"error: --answers applies to the rules teacher, not {args.teacher!r}", file=sys.stderr)
        return 2
    try:
        paths = generate(args.seeds, args.out, kinds=kinds, teacher=args.teacher, width=args.width,
                         height=args.height, teacher_options=options, progress=not args.quiet,
                         variants=args.variants, reuse_renders=args.reuse_renders, n_objects=args.objects)
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    for name, path in paths.items():
        print(f"{name}: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
