import pytest
import torch
from torch import nn

from llava_ros.model.projector import PositionalProjector, build_projector, projector_linear_names, sincos_2d


@pytest.mark.parametrize("name, n_linear", [("linear", 1), ("mlp2x_gelu", 2), ("mlp3x_gelu", 3)])
def test_projector_shapes(name, n_linear):
    proj = build_projector(name, 24, 32)
    assert proj(torch.randn(2, 5, 24)).shape == (2, 5, 32)
    assert len(projector_linear_names(proj)) == n_linear


def test_mlp2x_gelu_matches_original_layout():
    """builder.py: Sequential(Linear, GELU, Linear) -> keys 0.*, 2.* like `mm_projector.0/2`."""
    proj = build_projector("mlp2x_gelu", 24, 32)
    assert sorted(proj.state_dict()) == ["0.bias", "0.weight", "2.bias", "2.weight"]
    assert isinstance(proj[1], nn.GELU) and proj[1].approximate == "none"


def test_identity_and_unknown():
    x = torch.randn(1, 3, 16)
    assert torch.equal(build_projector("identity", 16, 16)(x), x)
    with pytest.raises(ValueError, match="identity projector needs equal sizes"):
        build_projector("identity", 16, 32)
    with pytest.raises(ValueError, match="unknown projector type 'mlp2x_relu'"):
        build_projector("mlp2x_relu", 16, 32)
    with pytest.raises(ValueError, match="unknown projector type 'xlinear'"):
        build_projector("xlinear", 16, 32)


def test_sincos_2d_codes_row_and_column_apart():
    table = sincos_2d(4, 16)
    assert table.shape == (16, 16)
    rows, cols = table[:, :8].reshape(4, 4, 8), table[:, 8:].reshape(4, 4, 8)
    assert torch.equal(rows[:, 0], rows[:, 3]) and torch.equal(cols[0], cols[3])   # row half ignores the column
    assert len({tuple(r.tolist()) for r in table}) == 16                           # every position distinct
    assert torch.equal(table[0], torch.tensor([0.0, 0, 0, 0, 1, 1, 1, 1] * 2))      # sin(0), cos(0)
    with pytest.raises(ValueError, match="divisible by 4"):
        sincos_2d(4, 18)


@pytest.mark.parametrize("inner, n_linear", [("linear", 1), ("mlp2x_gelu", 2)])
def test_pos2d_adds_one_learned_vector_per_position(inner, n_linear):
    proj = build_projector(f"{inner}+pos2d", 24, 32, num_tokens=16)
    assert isinstance(proj, PositionalProjector) and len(projector_linear_names(proj)) == n_linear
    assert torch.equal(proj.position.detach(), sincos_2d(4, 32)) and proj.position.requires_grad
    x = torch.randn(2, 16, 24)
    torch.testing.assert_close(proj(x), proj.inner(x) + sincos_2d(4, 32))
    proj(x).sum().backward()
    assert torch.equal(proj.position.grad, torch.full((16, 32), 2.0))  # batch of 2, d(sum)/d(position) = 2


def test_pos2d_errors():
    with pytest.raises(ValueError, match="needs the number of image tokens"):
        build_projector("linear+pos2d", 24, 32)
    with pytest.raises(ValueError, match="square grid of patch tokens"):
        build_projector("linear+pos2d", 24, 32, num_tokens=17)
    with pytest.raises(ValueError, match="expected 16 image tokens, got 9"):
        build_projector("linear+pos2d", 24, 32, num_tokens=16)(torch.randn(1, 9, 24))
