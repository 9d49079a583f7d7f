"""Seeded, resumable data order: torch's DistributedSampler, started part-way into an epoch.

The order of an epoch depends only on (seed, epoch, world size), so a resumed run skips the
samples its checkpoint already consumed and then sees exactly what an uninterrupted run would.
"""
from __future__ import annotations

from typing import Iterator

from torch.utils.data import Dataset, DistributedSampler


class ResumableSampler(DistributedSampler):
    """DistributedSampler for one epoch that skips its first ``skip`` indices (of this rank)."""

    def __init__(self, dataset: Dataset, num_replicas: int, rank: int, shuffle: bool, seed: int,
                 epoch: int, skip: int = 0):
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=shuffle, seed=seed, drop_last=False)
        self.set_epoch(epoch)
        if not 0 <= skip <= self.num_samples:
            raise ValueError(f"skip {skip} is outside this rank's {self.num_samples} samples per epoch")
        self.skip = skip

    def __iter__(self) -> Iterator[int]:
        return iter(list(super().__iter__())[self.skip:])

    def __len__(self) -> int:
        return self.num_samples - self.skip
