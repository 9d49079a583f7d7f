"""The token after each box: where a listing decides to name one more object or to conclude.

A grounded counting answer lists the objects it counts, a comma after each, and then concludes
("the red cone [0.12, 0.50, 0.20, 0.60], the green cube [...], so there are two."). The number rests on
one token per object: the one after the box's closing ``],``, which is ``the`` (one more) or ``so``
(done). Such tokens are about 3% of the answer tokens of the stage-2 mix, so the mean next-token loss
barely sees them. On training scenes whose boxes it writes to the digit, v29 still ends 7 of its 40
counting answers one object early (the fit probe, ``training.probe_fit``).

:func:`after_box_positions` finds the answer tokens right after a token that closes a box (any token
holding ``]``: the box syntax of :mod:`llava_ros.boxes` is the only bracket the teacher writes), and
:func:`after_box_loss` is their mean cross-entropy, which ``model.after_box_weight`` adds to the loss.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from transformers import PreTrainedTokenizerBase

from llava_ros.model import IGNORE_INDEX


def closing_token_ids(tokenizer: PreTrainedTokenizerBase) -> torch.Tensor:
    """Ids of the vocabulary's tokens that hold a ``]`` (``]``, ``],``, ...)."""
    ids = sorted(i for token, i in tokenizer.get_vocab().items() if "]" in token)
    if not ids:
        raise ValueError("the tokenizer has no token holding ']', so no box can close")
    return torch.tensor(ids, dtype=torch.long)


def after_box_positions(input_ids: torch.Tensor, labels: torch.Tensor, closing_ids: torch.Tensor) -> torch.Tensor:
    """(N,) positions p of ``input_ids`` whose token is trained on (``labels[p]`` not ignored) and follows a
    box-closing token (``input_ids[p - 1]`` in ``closing_ids``)."""
    follows = torch.isin(input_ids[:-1], closing_ids) & (labels[1:] != IGNORE_INDEX)
    return follows.nonzero().flatten() + 1


def after_box_loss(logits: torch.Tensor, rows: torch.Tensor, positions: torch.Tensor,
                   tokens: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy of ``tokens`` at ``positions`` of ``rows`` (spliced positions; the prediction for
    position k is made at k - 1); 0 when there are none."""
    if len(rows) == 0:
        return logits.new_zeros(())
    return F.cross_entropy(logits[rows, positions - 1].float(), tokens)
