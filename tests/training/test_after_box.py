"""The token after each box: which positions, their place in the batch and the spliced sequence, and the loss."""
import torch

from llava_ros.model import IGNORE_INDEX
from tests.tiny import make_tokenizer
from tests.training.test_box_negatives import (FIRST, LISTING, SECOND, conversation, encoder, step_on,
                                               tiny_forward)
from training.train.after_box import after_box_loss, after_box_positions, closing_token_ids


def positions_of(tokenizer, turns):
    tokens = encoder(tokenizer)(turns)
    return tokens, after_box_positions(tokens.input_ids, tokens.labels, closing_token_ids(tokenizer))


def test_the_token_after_each_answer_box_is_where_the_listing_goes_on_or_concludes():
    tokenizer = make_tokenizer()
    tokens, positions = positions_of(tokenizer, conversation(LISTING, f"<image>\nIs the cube {FIRST} yellow?"))
    ids = tokens.input_ids
    assert len(positions) == 2  # the question's box is not an answer token
    for position, box in zip(positions.tolist(), (FIRST, SECOND)):
        assert tokens.labels[position] == ids[position] != IGNORE_INDEX
        before = tokenizer.decode(ids[:position])
        assert before.endswith(box) or before.endswith(box + ","), before  # "]" or "]," closes the box
    assert len(positions_of(tokenizer, conversation("There are no cubes."))[1]) == 0


def test_closing_tokens_are_those_holding_a_bracket():
    tokenizer = make_tokenizer()
    closing = closing_token_ids(tokenizer).tolist()
    assert closing and all("]" in tokenizer.convert_ids_to_tokens(i) for i in closing)
    assert tokenizer.convert_tokens_to_ids("]") in closing and tokenizer.convert_tokens_to_ids("[") not in closing


def test_batched_positions_point_at_the_models_spliced_labels():
    tokenizer = make_tokenizer()
    answers = (LISTING, f"It is the red cube {SECOND}.")
    _, batch, (rows, positions), spliced, out = tiny_forward(
        tokenizer, "after_box", [positions_of(tokenizer, conversation(a)) for a in answers])
    assert rows.tolist() == [0, 0, 1]
    assert torch.equal(out.labels[rows, spliced], batch["labels"][rows, positions])
    expected = torch.nn.functional.cross_entropy(out.logits[rows, spliced - 1], batch["labels"][rows, positions])
    assert torch.allclose(after_box_loss(out.logits, rows, spliced, batch["labels"][rows, positions]), expected)


def test_a_step_on_the_loss_raises_the_true_tokens_probability():
    loss, p, raised, logits = step_on(after_box_loss)
    assert torch.allclose(loss, -torch.log(p).mean())
    assert (raised > p).all()
    empty = torch.zeros(0, dtype=torch.long)
    assert after_box_loss(logits, empty, empty, empty).item() == 0.0
