"""The unlikelihood of copying an earlier box: which tokens, where in the spliced sequence, and the loss."""
import torch

from llava_ros.model import IGNORE_INDEX, LlavaModel, preprocess
from tests.tiny import make_tokenizer, tiny_config
from training.train.box_negatives import box_negatives, spliced_positions, unlikelihood_loss
from training.train.collate import pad_collate

FIRST, SECOND = "[0.34, 0.60, 0.45, 0.74]", "[0.66, 0.59, 0.81, 0.75]"
LISTING = f"Looking for cubes: the yellow cube {FIRST}, the red cube {SECOND}, so there are two."


def conversation(answer: str, question: str = "<image>\nHow many cubes are there?") -> list[dict]:
    return [{"from": "human", "value": question}, {"from": "gpt", "value": answer}]


def encoder(tokenizer):
    def encode(turns):
        return preprocess(turns, tokenizer, "vicuna_v1", image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
                          image_token="<image>", has_image=True)
    return encode


def negatives_of(tokenizer, turns):
    tokens = encoder(tokenizer)(turns)
    return tokens, box_negatives(turns, lambda c: encoder(tokenizer)(c).input_ids, tokens.input_ids, tokens.labels)


def test_the_second_box_is_kept_from_copying_the_first_where_the_two_part():
    tokenizer = make_tokenizer()
    tokens, negatives = negatives_of(tokenizer, conversation(LISTING))
    assert negatives.shape == (1, 2)
    position, token = negatives[0].tolist()
    ids = tokens.input_ids
    assert tokens.labels[position] == ids[position]  # an answer token, trained on
    # Up to the position the answer reads as the reference; with the negative token it starts the copy.
    before = tokenizer.decode(ids[:position])
    assert before.endswith("the red cube [0.") or before.endswith("the red cube [0")
    copied = tokenizer.decode(torch.cat([ids[:position], torch.tensor([token])]))
    assert (LISTING[:LISTING.index(SECOND)] + FIRST).startswith(copied[copied.index("Looking"):])
    assert token != ids[position]


def test_one_place_per_earlier_box_and_none_for_a_repeated_box_or_the_question():
    tokenizer = make_tokenizer()
    third = "[0.10, 0.20, 0.30, 0.40]"
    answer = f"the cube {FIRST}, the cube {SECOND}, the cube {third}, so the cube {SECOND} is the largest."
    tokens, negatives = negatives_of(tokenizer, conversation(answer, f"<image>\nIs the cube {FIRST} red?"))
    positions = negatives[:, 0].tolist()
    # SECOND after FIRST (1), third after FIRST and SECOND (2), the last SECOND after FIRST and third (2);
    # swapping SECOND for itself is no copy, and the question's box is not an answer token.
    assert len(negatives) == 5
    assert all(tokens.labels[p] != IGNORE_INDEX for p in positions)
    assert len(set(map(tuple, negatives.tolist()))) == 5


def test_an_answer_with_one_box_has_no_negatives():
    tokenizer = make_tokenizer()
    _, negatives = negatives_of(tokenizer, conversation(f"It is the red cube {SECOND}."))
    assert negatives.shape == (0, 2)


def tiny_forward(tokenizer, key: str, indexed: list) -> tuple:
    """A tiny model's forward pass over the padded batch of ``indexed``, ``(tokens, index)`` pairs whose index
    rows go under ``key``: (model, batch, the batch's ``key`` columns, their positions in the spliced
    sequence, the output)."""
    torch.manual_seed(0)
    model = LlavaModel.from_config(tiny_config(tokenizer)).eval()
    batch = pad_collate([{"input_ids": tokens.input_ids, "labels": tokens.labels, key: index,
                          "pixel_values": torch.randn(3, 32, 32)} for tokens, index in indexed], tokenizer.pad_token_id)
    columns = batch[key].unbind(1)
    spliced = spliced_positions(batch["input_ids"], columns[0], columns[1], model.config.image_token_id,
                                model.num_image_tokens)
    with torch.no_grad():
        out = model(batch["input_ids"], batch["pixel_values"], batch["attention_mask"], batch["labels"])
    return model, batch, columns, spliced, out


def test_spliced_positions_point_at_the_same_tokens_as_the_models_spliced_labels():
    tokenizer = make_tokenizer()
    answers = (LISTING, f"Looking for cubes: the red cube {SECOND}, the yellow cube {FIRST}, so two.")
    model, batch, (rows, positions, _), spliced, out = tiny_forward(
        tokenizer, "negatives", [negatives_of(tokenizer, conversation(a)) for a in answers])
    assert rows.tolist() == [0, 1]
    assert torch.equal(out.labels[rows, spliced], batch["input_ids"][rows, positions])
    assert (spliced - positions == model.num_image_tokens - 1).all()


def step_on(loss_fn) -> tuple:
    """``loss_fn(logits, rows, positions, tokens)`` on random logits at two places: (the loss, each place's
    token probability before, the same after one step down its gradient, the logits)."""
    torch.manual_seed(0)
    logits = torch.randn(2, 6, 10, requires_grad=True)
    rows, positions, tokens = torch.tensor([0, 1]), torch.tensor([3, 5]), torch.tensor([7, 2])
    loss = loss_fn(logits, rows, positions, tokens)
    p = torch.softmax(logits.detach(), -1)[rows, positions - 1, tokens]
    loss.backward()
    stepped = torch.softmax(logits.detach() - 1.0 * logits.grad, -1)[rows, positions - 1, tokens]
    return loss, p, stepped, logits


def test_the_loss_is_minus_log_one_minus_p_and_a_step_on_it_lowers_p():
    loss, p, lowered, logits = step_on(unlikelihood_loss)
    assert torch.allclose(loss, -torch.log(1 - p).mean())
    assert (lowered < p).all()
    empty = torch.zeros(0, dtype=torch.long)
    assert unlikelihood_loss(logits, empty, empty, empty).item() == 0.0
