"""Entry point: ``python -m training.train --config PATH [--set k=v ...] [k=v ...] [--resume [CHECKPOINT]]``.

    python -m training.train --config training/configs/stage1_pretrain.yaml --set optim.lr=1e-3 run.max_steps=10
    torchrun --nproc_per_node 2 -m training.train --config training/configs/stage2_finetune.yaml
"""
from __future__ import annotations

import argparse
import sys

from training.train.config import load_config
from training.train.trainer import Trainer


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="llava-ros train", description="Train one stage from a YAML config.")
    parser.add_argument("--config", required=True, help="YAML file (training/configs/*.yaml)")
    parser.add_argument("--set", dest="overrides", nargs="+", action="extend", default=[], metavar="KEY=VALUE",
                        help="override config values, e.g. optim.lr=1e-3 run.max_steps=10")
    parser.add_argument("extra", nargs="*", metavar="KEY=VALUE", help="more overrides")
    parser.add_argument("--resume", nargs="?", const=True, default=False, metavar="CHECKPOINT",
                        help="continue from the newest checkpoint in run.output_dir (or the given one)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        cfg = load_config(args.config, args.overrides + args.extra)
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    trainer = Trainer(cfg, resume=args.resume)
    try:
        final = trainer.train()
    finally:
        trainer.close()
    if trainer.dist.is_main:
        print(f"final model: {final}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
