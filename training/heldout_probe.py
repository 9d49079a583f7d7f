"""What the teacher-forced probes on held-out scenes share: their command line and running them.

``probe_verdicts`` and ``probe_box_copies`` take a model, held-out scene seeds and a render size, and
write their result as JSON when asked (``--out``).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Callable

from sim.seeds import parse_seed_range

Probe = Callable[[Path, range, int, bool], dict]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, help="a LLaVA checkpoint folder (any layout load_model reads)")
    parser.add_argument("--seeds", default="1000000000:1000000040", help="scene seeds A:B (held-out by default)")
    parser.add_argument("--size", type=int, default=336, help="render size in pixels (the sim's default)")
    parser.add_argument("--out", help="write the result here as JSON")
    parser.add_argument("--quiet", action="store_true")


def run_probe(probe: Probe, args: argparse.Namespace) -> dict:
    """``probe(model, seeds, size, progress)`` on the parsed arguments; its result, also written to ``--out``."""
    result = probe(Path(args.model), parse_seed_range(args.seeds), args.size, not args.quiet)
    if args.out:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(json.dumps(result, indent=2) + "\n")
    return result
