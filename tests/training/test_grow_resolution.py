"""Resolution growth: position tables resampled to the larger patch grid, every other weight kept."""
import math

import pytest
import torch

from llava_ros.model import LlavaModel, load_pretrained, save_pretrained
from tests.tiny import make_tokenizer, tiny_config
from training.grow_resolution import PROJECTOR_POSITIONS, TOWER_POSITIONS, grow_resolution, main as grow_main
from training.grow_resolution import resample_grid


def _ramp(grid: int) -> torch.Tensor:
    """(grid², 2) table of each cell centre's (0.3 x - 0.7 y + 0.1, 2 y) in image fractions."""
    centres = (torch.arange(grid) + 0.5) / grid
    y, x = torch.meshgrid(centres, centres, indexing="ij")
    return torch.stack([0.3 * x - 0.7 * y + 0.1, 2 * y], dim=-1).reshape(grid * grid, 2)


def test_resampling_puts_each_value_at_its_cell_centre_and_is_identity_at_the_same_size():
    table = _ramp(16)
    assert torch.equal(resample_grid(table, 16, 16), table)
    assert torch.allclose(resample_grid(torch.full((256, 3), 0.25), 16, 24), torch.full((576, 3), 0.25))
    out = resample_grid(table, 16, 24)
    assert out.shape == (576, 2)
    # where its four taps lie inside the old grid, bicubic (a = -0.75) follows a linear table to within a sixth
    # of one old cell's step (0.7 / 16 here); a grid misaligned by half a cell would be off by 0.02
    source = (torch.arange(24) + 0.5) * 16 / 24 - 0.5
    inside = (source.floor() - 1 >= 0) & (source.floor() + 2 <= 15)
    mask = (inside[:, None] & inside[None, :]).reshape(-1)
    assert mask.sum() > 300
    assert torch.allclose(out[mask], _ramp(24)[mask], atol=0.0075)
    with pytest.raises(ValueError, match="a 4 x 4 grid has 16 rows, the table has 15"):
        resample_grid(table[:15], 4, 6)


@pytest.mark.parametrize("projector", ["linear+pos2d", "mlp2x_gelu"])
def test_grown_checkpoint_reads_the_larger_grid_with_the_other_weights_unchanged(tmp_path, projector):
    tokenizer = make_tokenizer()
    torch.manual_seed(0)
    model = LlavaModel.from_config(tiny_config(tokenizer, projector)).eval()  # 32 px, patches of 8: 4 x 4
    save_pretrained(model, tokenizer, tmp_path / "small")
    assert grow_main(["--model", str(tmp_path / "small"), "--image-size", "48", "--out", str(tmp_path / "big")]) == 0
    grown, _ = load_pretrained(tmp_path / "big")
    assert grown.config.vision.image_size == 48 and grown.num_image_tokens == 36
    before, after = model.state_dict(), grown.state_dict()
    assert set(before) == set(after)
    resampled = {TOWER_POSITIONS} | ({PROJECTOR_POSITIONS} if projector.endswith("+pos2d") else set())
    for name in set(before) - resampled:
        assert torch.equal(before[name], after[name]), name
    assert after[TOWER_POSITIONS].shape == (37, 32)
    assert torch.equal(after[TOWER_POSITIONS][0], before[TOWER_POSITIONS][0])  # the CLS row
    assert torch.allclose(after[TOWER_POSITIONS][1:], resample_grid(before[TOWER_POSITIONS][1:], 4, 6))
    if projector.endswith("+pos2d"):
        assert torch.allclose(after[PROJECTOR_POSITIONS], resample_grid(before[PROJECTOR_POSITIONS], 4, 6))
    ids = torch.tensor([[1, grown.config.image_token_id, *range(10, 20)]])
    logits = grown(input_ids=ids, pixel_values=torch.randn(1, 3, 48, 48)).logits
    assert logits.shape[1] == 36 + 11 and math.isfinite(float(logits.detach().abs().max()))


def test_sizes_that_are_not_a_larger_multiple_of_the_patch_are_refused(tmp_path, capsys):
    tokenizer = make_tokenizer()
    model = LlavaModel.from_config(tiny_config(tokenizer, "linear+pos2d"))
    with pytest.raises(ValueError, match="--image-size 44 is not a multiple of the patch size 8"):
        grow_resolution(model, 44)
    with pytest.raises(ValueError, match="--image-size 32 must exceed the checkpoint's 32"):
        grow_resolution(model, 32)
    save_pretrained(model, tokenizer, tmp_path / "small")
    assert grow_main(["--model", str(tmp_path / "small"), "--image-size", "24", "--out", str(tmp_path / "out")]) == 2
    assert "must exceed" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert grow_main(["--model", str(tmp_path / "small"), "--image-size", "48", "--out", str(tmp_path / "small")]) == 2
