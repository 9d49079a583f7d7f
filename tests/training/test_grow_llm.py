"""Depth growth: the grown checkpoint computes what the original did, and its new layers learn."""
import torch

from llava_ros.model import load_pretrained
from tests.tiny import save_tiny_checkpoint
from tests.training.same_function import assert_same_function
from training.grow_llm import grow_depth, layer_sources, main as grow_main


def _inputs(model):
    torch.manual_seed(1)
    pixels = torch.randn(1, 3, 32, 32)
    ids = torch.tensor([[1, model.config.image_token_id, *range(10, 40)]])
    return ids, pixels


def test_layer_sources_insert_copies_after_the_named_layers():
    assert layer_sources(3, [0, 2]) == [(0, False), (0, True), (1, False), (2, False), (2, True)]
    for bad in ([3], [-1], [1, 1]):
        try:
            layer_sources(3, bad)
        except ValueError as err:
            assert "--after" in str(err)
        else:
            raise AssertionError(f"{bad} was accepted")


def test_grown_checkpoint_gives_the_same_logits_and_generation(tmp_path):
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    assert grow_main(["--model", str(folder), "--after", "0,1", "--out", str(tmp_path / "grown")]) == 0
    model, tokenizer = load_pretrained(folder)
    grown, _ = load_pretrained(tmp_path / "grown")
    assert grown.config.text.num_hidden_layers == model.config.text.num_hidden_layers + 2 == 4
    assert_same_function(model, grown, tokenizer, *_inputs(model))


def test_new_layers_get_gradients_and_change_the_output(tmp_path):
    model, _ = load_pretrained(save_tiny_checkpoint(tmp_path / "tiny"))
    grown = grow_depth(model, [1]).train()
    new_layer = grown.llm.model.layers[2]
    assert new_layer.self_attn.o_proj.weight.abs().max() == 0 and new_layer.mlp.down_proj.weight.abs().max() == 0
    ids, pixels = _inputs(model)
    grown(input_ids=ids, pixel_values=pixels, labels=ids).loss.backward()
    assert new_layer.self_attn.o_proj.weight.grad.abs().max() > 0
    assert new_layer.mlp.down_proj.weight.grad.abs().max() > 0
    with torch.no_grad():
        new_layer.mlp.down_proj.weight.add_(0.5 * new_layer.mlp.down_proj.weight.grad.sign())
        changed = grown.eval()(input_ids=ids, pixel_values=pixels).logits
        original = model(input_ids=ids, pixel_values=pixels).logits
    assert (changed - original).abs().max() > 1e-3


def test_command_refuses_bad_layers_and_an_existing_folder(tmp_path, capsys):
    folder = save_tiny_checkpoint(tmp_path / "tiny")
    assert grow_main(["--model", str(folder), "--after", "2", "--out", str(tmp_path / "g")]) == 2
    assert "layers 0..1" in capsys.readouterr().err
    assert not (tmp_path / "g").exists()
    assert grow_main(["--model", str(folder), "--after", "0", "--out", str(folder)]) == 2
    assert "exists" in capsys.readouterr().err
