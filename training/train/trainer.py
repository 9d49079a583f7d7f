"""The one trainer for every stage: the stages differ only in their YAML (data, template, freezing, lr).

    python -m training.train --config training/configs/stage1_pretrain.yaml [--set optim.lr=1e-3 ...] [--resume]
    torchrun --nproc_per_node 2 -m training.train --config ...      # DDP, gloo on CPU

One optimizer step = ``grad_accum_steps`` micro-batches per process, so the effective batch is
``optim.batch_size`` whatever the world size. Data order is seeded per epoch
(:mod:`training.train.sampler`), checkpoints hold everything needed to continue exactly
(:mod:`training.train.checkpointing`), and only rank 0 writes files.

Output folder: ``config.yaml``, ``metrics.jsonl``, ``curves.png``, ``checkpoints/step_*/``, and
``final/``, the model in the form the next stage (or :func:`llava_ros.model.load_pretrained`) loads.
"""
from __future__ import annotations

import math
import sys
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Iterator

import torch
import yaml
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader
from tqdm import tqdm

from training.train.checkpointing import Position, latest_checkpoint, load_checkpoint, save_checkpoint
from training.train.collate import make_collate
from training.train.config import TrainConfig
from training.train.distributed import barrier, init_distributed, reduce_sum, shutdown
from training.train.metrics import CURVES_NAME, METRICS_NAME, MetricsWriter, plot_metrics
from training.train.placement import resolve_device, to_device
from training.train.sampler import ResumableSampler
from training.train.schedule import build_schedule
from training.train.stages import apply_freezing, get_stage
from training.train.tasks import get_task

FINAL = "final"


def build_optimizer(model: torch.nn.Module, cfg: TrainConfig) -> torch.optim.AdamW:
    """AdamW over the trainable parameters; biases and norm weights (1-D) get no weight decay, and the
    vision tower's parameters (``vision.*``) get ``optim.vision_lr`` when it is set. The first group
    holds the other parameters, whose lr the progress bar and metrics show."""
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]
    tower_lr = cfg.optim.vision_lr if cfg.optim.vision_lr is not None else cfg.optim.lr
    groups = []
    for lr, in_tower in ((cfg.optim.lr, False), (tower_lr, True)):
        params = [p for n, p in named if n.startswith("vision.") == in_tower]
        groups += [{"params": [p for p in params if p.ndim >= 2], "weight_decay": cfg.optim.weight_decay, "lr": lr},
                   {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0, "lr": lr}]
    return torch.optim.AdamW([g for g in groups if g["params"]], lr=cfg.optim.lr, betas=cfg.optim.betas,
                             eps=cfg.optim.eps)


class Trainer:
    def __init__(self, cfg: TrainConfig, resume: bool | str | Path = False):
        self.cfg = cfg
        self.dist = init_distributed(cfg.run.backend)
        if self.dist.world_size != cfg.world_size:
            raise ValueError(f"config was built for world size {cfg.world_size}, running with {self.dist.world_size}")
        self.stage = get_stage(cfg.run.stage)
        self.task = get_task(self.stage.task)
        if cfg.data.shift and not self.task.shifts_images:
            raise ValueError(f"data.shift moves images of the llava task's stages only, not {self.task.name!r}")
        self.output_dir = Path(cfg.run.output_dir)
        if cfg.run.threads:
            torch.set_num_threads(cfg.run.threads)
        self.device = resolve_device(cfg.run.device, self.dist.local_rank)
        torch.manual_seed(cfg.run.seed)
        self.model, self.tokenizer = self.task.build(cfg)
        self.model.to(self.device).train()
        self.trainable = apply_freezing(self.model, self.stage)
        self.dataset = self.task.dataset(cfg, self.model, self.tokenizer)
        self.collate = make_collate(self.tokenizer.pad_token_id)
        per_rank = self._sampler(epoch=0, skip=0).num_samples
        self.batches_per_epoch = math.ceil(per_rank / cfg.optim.micro_batch_size)
        self.total_steps = cfg.run.max_steps or math.ceil(
            cfg.run.epochs * self.batches_per_epoch / cfg.grad_accum_steps)
        self.optimizer = build_optimizer(self.model, cfg)
        self.scheduler = build_schedule(cfg.optim.schedule, self.optimizer, self.total_steps, cfg.optim.warmup_ratio)
        self.position = Position()
        if resume:
            self._resume(resume)
        device_ids = [self.device.index] if self.device.type == "cuda" else None
        self.wrapped = DistributedDataParallel(self.model, device_ids) if self.dist.enabled else self.model
        self.log(f"{self.stage.name} on {self.device}: {len(self.dataset)} samples, {per_rank} per epoch on this rank, "
                 f"{self.total_steps} steps of {cfg.optim.batch_size} (grad accumulation {cfg.grad_accum_steps}), "
                 f"{len(self.trainable)} trainable tensors, starting at step {self.position.step}")

    def log(self, message: str) -> None:
        """One line on stderr from every rank, tagged with the rank."""
        print(f"[rank {self.dist.rank}/{self.dist.world_size}] {message}", file=sys.stderr, flush=True)

    def _sampler(self, epoch: int, skip: int) -> ResumableSampler:
        return ResumableSampler(self.dataset, self.dist.world_size, self.dist.rank, self.cfg.data.shuffle,
                                self.cfg.run.seed, epoch, skip)

    def _meta(self) -> dict:
        return {"stage": self.stage.name, "total_steps": self.total_steps, "world_size": self.dist.world_size,
                "config": self.cfg.to_dict()}

    def _resume(self, resume: bool | str | Path) -> None:
        folder = latest_checkpoint(self.output_dir) if resume is True else Path(resume)
        if folder is None:
            raise FileNotFoundError(f"--resume: no checkpoint under {self.output_dir / 'checkpoints'}")
        self.position, saved = load_checkpoint(folder, self.model, self.optimizer, self.scheduler)
        for key in ("stage", "total_steps", "world_size"):
            if saved[key] != self._meta()[key]:
                raise ValueError(f"cannot resume exactly from {folder}: it has {key}={saved[key]!r}, "
                                 f"this run has {self._meta()[key]!r}")

    def micro_batches(self) -> Iterator[tuple[int, int, dict]]:
        """(epoch, micro-batches of it consumed so far, batch), endlessly, from the current position."""
        epoch, skip = self.position.epoch, self.position.batch
        micro = self.cfg.optim.micro_batch_size
        while True:
            loader = DataLoader(self.dataset, batch_size=micro, sampler=self._sampler(epoch, skip * micro),
                                collate_fn=self.collate, num_workers=self.cfg.data.num_workers,
                                pin_memory=self.device.type == "cuda")
            for consumed, batch in enumerate(loader, start=skip + 1):
                yield epoch, consumed, batch
            epoch, skip = epoch + 1, 0

    def step(self, stream: Iterator[tuple[int, int, dict]]) -> dict[str, float]:
        """One optimizer step over ``grad_accum_steps`` micro-batches; returns this rank's numbers."""
        accum = self.cfg.grad_accum_steps
        self.optimizer.zero_grad(set_to_none=True)
        loss_sum, tokens = 0.0, 0
        for k in range(accum):
            epoch, consumed, batch = next(stream)
            batch = to_device(batch, self.device)
            done = consumed == self.batches_per_epoch
            self.position.epoch, self.position.batch = (epoch + 1, 0) if done else (epoch, consumed)
            sync = not self.dist.enabled or k == accum - 1
            with nullcontext() if sync else self.wrapped.no_sync():
                loss = self.task.loss(self.wrapped, batch, self.cfg)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"loss is {loss.item()} at step {self.position.step + 1}")
                (loss / accum).backward()
            loss_sum += loss.item() / accum
            tokens += int(batch["attention_mask"].sum())
        params = [p for p in self.model.parameters() if p.requires_grad]
        grad_norm = torch.nn.utils.clip_grad_norm_(params, self.cfg.optim.max_grad_norm or math.inf)
        lr = self.scheduler.get_last_lr()[0]
        self.optimizer.step()
        self.scheduler.step()
        self.task.after_step(self.model)
        self.position.step += 1
        return {"loss": loss_sum, "tokens": tokens, "grad_norm": float(grad_norm), "lr": lr}

    def save_checkpoint(self) -> None:
        if self.dist.is_main:
            save_checkpoint(self.output_dir, self.model, self.optimizer, self.scheduler, self.position,
                            self._meta(), keep=self.cfg.run.keep_checkpoints)
        barrier(self.dist)

    def train(self) -> Path:
        """Run to ``total_steps``; returns the final model folder."""
        cfg, main = self.cfg, self.dist.is_main
        metrics = MetricsWriter(self.output_dir / METRICS_NAME, self.position.step) if main else None
        if main:
            (self.output_dir / "config.yaml").write_text(yaml.safe_dump(cfg.to_dict(), sort_keys=False))
        stream = self.micro_batches()
        bar = tqdm(total=self.total_steps, initial=self.position.step, desc=self.stage.name, unit="step",
                   disable=not (main and cfg.run.progress))
        started = time.perf_counter()
        while self.position.step < self.total_steps:
            t0 = time.perf_counter()
            out = self.step(stream)
            loss_sum, tokens = reduce_sum(self.dist, out["loss"], out["tokens"])
            seconds = time.perf_counter() - t0
            record = {"step": self.position.step, "epoch": self.position.epoch, "loss": loss_sum / self.dist.world_size,
                      "lr": out["lr"], "grad_norm": out["grad_norm"], "tokens": int(tokens),
                      "tokens_per_s": tokens / seconds, "elapsed_s": time.perf_counter() - started,
                      "device": self.device.type}
            if main and (self.position.step % cfg.run.log_every == 0 or self.position.step == self.total_steps):
                metrics.log(record)
            bar.update(1)
            bar.set_postfix(loss=f"{record['loss']:.4f}", lr=f"{record['lr']:.2e}")
            if cfg.run.save_every and self.position.step % cfg.run.save_every == 0:
                self.save_checkpoint()
        bar.close()
        final = self.output_dir / FINAL
        if main:
            self.task.save(cfg, self.model, self.tokenizer, final)
            plot_metrics(self.output_dir / METRICS_NAME, self.output_dir / CURVES_NAME,
                         title=f"{self.stage.name}: {self.stage.doc}")
        barrier(self.dist)
        self.log(f"done at step {self.position.step}" + (f"; saved {final}" if main else ""))
        return final

    def close(self) -> None:
        shutdown(self.dist)
