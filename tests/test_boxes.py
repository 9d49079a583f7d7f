import random

import pytest

from llava_ros.boxes import (box_text, box_to_pixels, check_box, format_box, normalise_box,
                                 parse_boxes)


def test_format_box_is_two_decimal_normalised_xyxy():
    assert format_box([138, 175, 165, 205], 336, 336) == "[0.41, 0.52, 0.50, 0.62]"
    assert format_box([0, 0, 640, 480], 640, 480) == "[0.00, 0.00, 1.00, 1.00]"


def test_round_trip_random_boxes():
    rng = random.Random(0)
    for _ in range(500):
        w, h = rng.randint(16, 1024), rng.randint(16, 1024)
        x1, y1 = rng.randrange(w), rng.randrange(h)
        box_px = [x1, y1, rng.randint(x1 + 1, w), rng.randint(y1 + 1, h)]
        text = f"Pick the large red cube {format_box(box_px, w, h)}."
        [(phrase, box)] = parse_boxes(text, strict=True)
        assert phrase == "large red cube"
        assert box == normalise_box(box_px, w, h)
        assert box_text(box) == format_box(box_px, w, h)
        px = box_to_pixels(box, w, h)  # rounded outwards: contains the object, within 1 % of the size
        assert px[0] <= box_px[0] + 1e-6 and px[1] <= box_px[1] + 1e-6
        assert px[2] >= box_px[2] - 1e-6 and px[3] >= box_px[3] - 1e-6
        assert all(abs(a - b) <= 0.01 * s + 1e-6 for a, b, s in zip(px, box_px, (w, h, w, h)))


def test_tiny_box_is_never_empty():
    assert check_box(normalise_box([100, 100, 101, 101], 336, 336)) == (0.29, 0.29, 0.31, 0.31)


@pytest.mark.parametrize("text, phrases", [
    ("From left to right: the blue cone [0.35, 0.48, 0.43, 0.57] and the large red cube "
     "[0.10, 0.20, 0.30, 0.40].", ["blue cone", "large red cube"]),
    ("pick up red cube [0.1, 0.2, 0.3, 0.4]", ["red cube"]),
    ("[0.10, 0.20, 0.30, 0.40] is here", [""]),
    ("It is here: the purple sphere [0.66,0.42,0.76,0.51], next to it", ["purple sphere"]),
    ("I see a very small shiny green cylinder [.1, .2, .3, .4]", ["small shiny green cylinder"]),
])
def test_phrase_before_box(text, phrases):
    assert [p for p, _ in parse_boxes(text, strict=True)] == phrases


def test_lenient_skips_invalid_and_strict_names_them():
    text = "the red cube [0.60, 0.50, 0.40, 0.70] and the cone [0.4, 0.5] and the blue cube [0.1, 0.1, 0.2, 0.2]"
    assert parse_boxes(text) == [("blue cube", (0.1, 0.1, 0.2, 0.2))]
    with pytest.raises(ValueError, match=r"malformed box '\[0.4, 0.5\]'"):
        parse_boxes(text, strict=True)
    with pytest.raises(ValueError, match=r"box \[0.60, 0.50, 0.40, 0.70\] is not a normalised box"):
        parse_boxes("the red cube [0.60, 0.50, 0.40, 0.70]", strict=True)
    assert parse_boxes("step [1] of the plan, no boxes here") == []


@pytest.mark.parametrize("bbox, message", [
    (None, "must have 4 numbers"), ([1, 2, 3], "must have 4 numbers"),
    ([10, 10, 10, 20], "empty or outside"), ([0, 0, 400, 20], "outside a 336x336"),
])
def test_normalise_box_rejects(bbox, message):
    with pytest.raises(ValueError, match=message):
        normalise_box(bbox, 336, 336)
