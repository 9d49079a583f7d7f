"""Projector growth: the mlp2x_gelu made from a linear projector computes what it did, and then learns."""
import dataclasses

import pytest
import torch

from llava_ros.model import LlavaModel, load_pretrained, save_pretrained
from tests.tiny import make_tokenizer, tiny_config
from tests.training.same_function import assert_same_function
from training.grow_projector import grow_projector, main as grow_main


def _linear_model(projector: str, vision_width: int) -> tuple[LlavaModel, object]:
    """A random tiny LLaVA with a linear projector from a ``vision_width`` tower into a 32-wide LLM."""
    tokenizer = make_tokenizer()
    config = tiny_config(tokenizer, projector)
    config = dataclasses.replace(config, vision=dataclasses.replace(config.vision, hidden_size=vision_width))
    torch.manual_seed(0)
    model = LlavaModel.from_config(config).eval()
    with torch.no_grad():
        for parameter in model.projector.parameters():
            parameter.normal_(0.0, 0.5)  # features of any size pass the mirrored units unchanged
    return model, tokenizer


def _inputs(model):
    torch.manual_seed(1)
    return torch.tensor([[1, model.config.image_token_id, *range(10, 40)]]), 3 * torch.randn(1, 3, 32, 32)


@pytest.mark.parametrize("projector, vision_width", [("linear", 16), ("linear+pos2d", 16), ("linear", 12)])
def test_grown_checkpoint_gives_the_same_logits_and_generation(tmp_path, projector, vision_width):
    model, tokenizer = _linear_model(projector, vision_width)
    save_pretrained(model, tokenizer, tmp_path / "linear")
    assert grow_main(["--model", str(tmp_path / "linear"), "--out", str(tmp_path / "grown")]) == 0
    grown, _ = load_pretrained(tmp_path / "grown")
    assert grown.config.projector.type == projector.replace("linear", "mlp2x_gelu")
    assert_same_function(model, grown, tokenizer, *_inputs(model))


def test_every_hidden_unit_learns_and_the_function_moves_off_the_linear_one():
    model, _ = _linear_model("linear", 12)  # 32 hidden units: 24 mirrored, 8 new
    grown = grow_projector(model).train()
    first, second = grown.projector[0], grown.projector[2]
    assert second.weight[:, 24:].abs().max() == 0 and first.weight[24:].abs().max() > 0
    ids, pixels = _inputs(model)
    grown(input_ids=ids, pixel_values=pixels, labels=ids).loss.backward()
    assert (second.weight.grad.abs().sum(0) > 0).all()  # each hidden unit's output weights get a gradient
    assert first.weight.grad[:24].abs().max() > 0
    with torch.no_grad():
        second.weight.add_(0.5 * second.weight.grad.sign())
        moved = grown.eval()(input_ids=ids, pixel_values=pixels).logits
        original = model(input_ids=ids, pixel_values=pixels).logits
    assert (moved - original).abs().max() > 1e-3


def test_projectors_that_cannot_grow_exactly_are_refused(tmp_path, capsys):
    mlp, _ = _linear_model("mlp2x_gelu", 16)
    with pytest.raises(ValueError, match="not the paper's linear one"):
        grow_projector(mlp)
    wide, tokenizer = _linear_model("linear", 20)  # 32 < 2 x 20
    with pytest.raises(ValueError, match=r"LLM width \(32\) to be at least twice the tower's \(20\)"):
        grow_projector(wide)
    save_pretrained(wide, tokenizer, tmp_path / "wide")
    assert grow_main(["--model", str(tmp_path / "wide"), "--out", str(tmp_path / "out")]) == 2
    assert "at least twice" in capsys.readouterr().err and not (tmp_path / "out").exists()
    assert grow_main(["--model", str(tmp_path / "wide"), "--out", str(tmp_path / "wide")]) == 2
