"""training.train.shift_augment: an image and its boxes move together, never off the frame; stage 2 trains with it."""
import numpy as np
import pytest
import torch
from PIL import Image

from llava_ros.boxes import parse_boxes
from llava_ros.model import ImageProcessor, VisionConfig
from tests.training.test_train_stages import CONFIGS, FILES, stage_overrides
from training.train.config import load_config
from training.train.datasets import ConversationDataset, ImageLoader
from training.train.shift_augment import (MAX_SHIFT, Shift, draw_shift, fit_shift, record_boxes, shift_image,
                                          shift_text, shift_turns)
from training.train.trainer import Trainer
from tests.tiny import make_tokenizer

TURNS = [{"from": "human", "value": "<image>\nWhat is at [0.40, 0.50, 0.60, 0.70]?"},
         {"from": "gpt", "value": "The red cube [0.40, 0.50, 0.60, 0.70], left of the blue cone [0.05, 0.10, 0.20, 0.30]."}]


def test_every_box_moves_by_the_hundredths_and_the_words_stay():
    moved = shift_text(TURNS[1]["value"], Shift(3, -2))
    assert moved == "The red cube [0.43, 0.48, 0.63, 0.68], left of the blue cone [0.08, 0.08, 0.23, 0.28]."
    assert shift_text("no box here", Shift(5, 5)) == "no box here"
    assert shift_turns(TURNS, Shift())[1] == TURNS[1]
    assert shift_turns(TURNS, Shift(-1, 0))[0]["value"] == "<image>\nWhat is at [0.39, 0.50, 0.59, 0.70]?"


def test_a_move_is_shortened_so_no_box_leaves_the_image():
    boxes = record_boxes(TURNS)
    assert len(boxes) == 3
    assert fit_shift(Shift(-9, -12), boxes) == Shift(-5, -10)  # the cone starts at x 0.05, y 0.10
    assert fit_shift(Shift(9, 9), boxes) == Shift(9, 9)
    assert fit_shift(Shift(10, 10), [(0.1, 0.1, 0.95, 0.98)]) == Shift(5, 2)
    assert fit_shift(Shift(4, -4), []) == Shift(4, -4)
    for dx in range(-MAX_SHIFT, MAX_SHIFT + 1):
        fitted = fit_shift(Shift(dx, -dx), boxes)
        assert all(0 <= c <= 1 for b in parse_boxes(shift_text(TURNS[1]["value"], fitted)) for c in b[1])


def test_the_image_moves_whole_pixels_and_repeats_its_edges():
    pixels = np.zeros((100, 200, 3), dtype=np.uint8)
    pixels[:, 0] = (9, 9, 9)  # left edge column
    pixels[40, 50] = (255, 0, 0)
    moved = np.asarray(shift_image(Image.fromarray(pixels), Shift(3, -2)))  # 6 px right, 2 px up
    assert moved.shape == pixels.shape
    assert tuple(moved[38, 56]) == (255, 0, 0) and moved[38, 56].sum() == 255 and moved[40, 50].sum() == 0
    assert (moved[:, :7] == 9).all() and (moved[:, 7:] != 9).all()  # the uncovered strip repeats the edge
    assert (moved[-2:] == moved[-3]).all()  # bottom rows repeat the last one
    assert np.array_equal(np.asarray(shift_image(Image.fromarray(pixels), Shift())), pixels)


def test_moves_are_drawn_within_the_bound_and_fixed_by_the_seed():
    draws = [draw_shift(2, torch.Generator().manual_seed(s)) for s in range(200)]
    assert {d.dx for d in draws} == {-2, -1, 0, 1, 2} and {d.dy for d in draws} == {-2, -1, 0, 1, 2}
    assert draw_shift(2, torch.Generator().manual_seed(7)) == draw_shift(2, torch.Generator().manual_seed(7))
    assert draw_shift(0) == Shift()
    with pytest.raises(ValueError, match="within 0..10"):
        draw_shift(MAX_SHIFT + 1)


def test_dataset_sample_carries_the_moved_image_and_the_moved_boxes(tmp_path):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (64, 64, 3), dtype=np.uint8)).save(tmp_path / "a.png")
    record = {"id": "r", "image": "a.png", "conversations": TURNS}
    tok = make_tokenizer()
    images = ImageLoader(tmp_path, ImageProcessor(VisionConfig(image_size=32, patch_size=8)))
    plain = ConversationDataset([record], tok, "vicuna_v1", 512, images, tok.convert_tokens_to_ids("<image>"))
    shifting = ConversationDataset([record], tok, "vicuna_v1", 512, images, tok.convert_tokens_to_ids("<image>"),
                                   shift=3)
    torch.manual_seed(1)
    expected = fit_shift(draw_shift(3), record_boxes(TURNS))
    assert expected
    torch.manual_seed(1)
    sample, reference = shifting[0], plain[0]
    answer = lambda s: tok.decode(s["labels"][s["labels"] >= 0], skip_special_tokens=True)
    assert [b for _, b in parse_boxes(answer(sample))] == \
        [b for _, b in parse_boxes(shift_text(TURNS[1]["value"], expected))]
    assert answer(reference) != answer(sample)
    assert torch.equal(sample["pixel_values"], images("a.png", expected))
    assert not torch.equal(sample["pixel_values"], reference["pixel_values"])


def test_config_bounds_the_shift_and_only_the_llava_stages_take_it(tmp_path):
    json_file = tmp_path / "d.json"
    json_file.write_text("[]")
    with pytest.raises(ValueError, match="data.shift must be within 0..10"):
        load_config(CONFIGS / FILES["stage2"], [f"data.train_json={json_file}", "data.shift=11"])
    cfg = load_config(CONFIGS / FILES["clip"], [f"data.train_json={json_file}", "data.shift=2"])
    with pytest.raises(ValueError, match="llava task's stages only, not 'clip'"):
        Trainer(cfg)

