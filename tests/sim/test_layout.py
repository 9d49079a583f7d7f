import itertools
import math

import pytest

from sim.catalogue import COLOURS, SHAPES, SIZES, ObjectSpec, all_specs
from sim.layout import MAX_OBJECTS, MIN_CLEARANCE, PLACEMENT_X, PLACEMENT_Y, sample_layout
from sim.seeds import HELDOUT_SEED_START, check_training_seed, is_heldout, parse_seed_range


def test_catalogue_has_at_least_6_colours_4_shapes_2_sizes():
    assert len(COLOURS) >= 6 and len(SHAPES) >= 4 and len(SIZES) >= 2
    assert len(all_specs()) == len(COLOURS) * len(SHAPES) * len(SIZES)
    assert len({s.label for s in all_specs()}) == len(COLOURS) * len(SHAPES)


def test_unknown_attribute_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown colour 'teal'"):
        ObjectSpec("teal", "cube", "small")


@pytest.mark.parametrize("seed", range(200))
def test_layouts_respect_count_spacing_region_and_unique_labels(seed):
    layout = sample_layout(seed)
    assert 1 <= len(layout.objects) <= MAX_OBJECTS
    assert len({o.label for o in layout.objects}) == len(layout.objects)
    for o in layout.objects:
        assert PLACEMENT_X[0] <= o.x <= PLACEMENT_X[1] and PLACEMENT_Y[0] <= o.y <= PLACEMENT_Y[1]
    for a, b in itertools.combinations(layout.objects, 2):
        gap = math.hypot(a.x - b.x, a.y - b.y) - a.spec.footprint_radius - b.spec.footprint_radius
        assert gap >= MIN_CLEARANCE - 1e-9


def test_layouts_cover_all_counts():
    counts = {len(sample_layout(s).objects) for s in range(100)}
    assert counts == set(range(1, MAX_OBJECTS + 1))


def test_same_seed_same_layout_and_different_seeds_differ():
    assert sample_layout(5) == sample_layout(5)
    assert sample_layout(5) != sample_layout(6)


def test_seed_policy():
    assert is_heldout(HELDOUT_SEED_START) and not is_heldout(999_999)
    assert check_training_seed(12) == 12
    with pytest.raises(ValueError, match="reserved for held-out"):
        check_training_seed(HELDOUT_SEED_START + 3)
    assert parse_seed_range("10:13") == range(10, 13)
    assert parse_seed_range("7") == range(7, 8)
    with pytest.raises(ValueError, match="not of the form"):
        parse_seed_range("a:b")
    with pytest.raises(ValueError, match="empty"):
        parse_seed_range("5:5")
