"""torchrun plumbing: process group from the environment, rank-0 helpers, metric reduction.

``torchrun --nproc_per_node N`` sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT;
without them we run as a single process and never touch ``torch.distributed``.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class DistInfo:
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(backend: str) -> DistInfo:
    """Join the process group torchrun describes (gloo on CPU); a no-op for a single process."""
    info = DistInfo(int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1")),
                    int(os.environ.get("LOCAL_RANK", "0")))
    if info.enabled and not dist.is_initialized():
        if backend == "gloo" and not dist.is_gloo_available():
            raise RuntimeError("torch.distributed has no gloo backend in this build")
        dist.init_process_group(backend=backend, rank=info.rank, world_size=info.world_size)
    return info


def barrier(info: DistInfo) -> None:
    if info.enabled:
        dist.barrier()


def reduce_sum(info: DistInfo, *values: float) -> list[float]:
    """Sum scalars over all ranks (float64, so token counts stay exact)."""
    tensor = torch.tensor(values, dtype=torch.float64)
    if info.enabled:
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor.tolist()


def shutdown(info: DistInfo) -> None:
    """Leave the process group together: a barrier first, since ``destroy_process_group`` on a rank whose
    peers are still busy can hang (pytorch/pytorch#75097). A 2-process CI run once hung at exit after both
    ranks had finished; whether in this call is not known, as the trainer's last step is a barrier too."""
    if info.enabled and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
