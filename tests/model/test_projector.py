import pytest
import torch
from torch import nn

from llava_ros.model.projector import build_projector, projector_linear_names


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
