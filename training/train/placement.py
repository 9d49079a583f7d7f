"""Where a training process runs: ``run.device`` → a torch device, and batches moved onto it.

``cpu`` is the default (these machines have no GPU). ``cuda`` takes the GPU of the process's
LOCAL_RANK, so ``torchrun --nproc_per_node N`` would put one process on each of N GPUs (only single-GPU
training has run: the v10 recipe on an H100, whose first stage-1 losses equal the CPU's). Asking for
it where CUDA is missing is an error, not a silent fall back to CPU. ``auto`` is ``cuda`` where CUDA
is available, else ``cpu``.
"""
from __future__ import annotations

import torch

DEVICES = ("cpu", "cuda", "auto")  # the values of run.device


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    if name not in DEVICES:
        raise ValueError(f"device must be one of {DEVICES}, got {name!r}")
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cpu":
        return torch.device("cpu")
    if not torch.cuda.is_available():
        raise RuntimeError("run.device=cuda, but this torch build sees no CUDA GPU "
                           f"(torch {torch.__version__}); use run.device=cpu or auto")
    if local_rank >= torch.cuda.device_count():
        raise RuntimeError(f"process LOCAL_RANK {local_rank} has no GPU: only {torch.cuda.device_count()} visible")
    torch.cuda.set_device(local_rank)
    return torch.device("cuda", local_rank)


def to_device(batch: dict, device: torch.device) -> dict:
    """The batch with every tensor on ``device`` (None entries, e.g. no images, stay None)."""
    if device.type == "cpu":
        return batch
    return {key: value.to(device, non_blocking=True) if isinstance(value, torch.Tensor) else value
            for key, value in batch.items()}
