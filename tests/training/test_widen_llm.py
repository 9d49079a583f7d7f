"""Width growth: the widened checkpoint computes what the original did, and its new width learns."""
import dataclasses

import pytest
import torch

from llava_ros.model import load_pretrained
from llava_ros.model.llava import LlavaModel
from tests.tiny import make_tokenizer, save_tiny_checkpoint, tiny_config
from tests.training.same_function import assert_same_function
from training.widen_llm import main as widen_main, widen_llm, widened_text


def _inputs(model):
    torch.manual_seed(1)
    pixels = torch.randn(1, 3, 32, 32)
    ids = torch.tensor([[1, model.config.image_token_id, *range(10, 40)]])
    return ids, pixels


@pytest.mark.parametrize("projector", ["mlp2x_gelu", "mlp3x_gelu", "linear", "linear+pos2d"])
def test_widened_checkpoint_gives_the_same_logits_and_generation(tmp_path, projector):
    folder = save_tiny_checkpoint(tmp_path / "tiny", projector=projector)
    assert widen_main(["--model", str(folder), "--hidden", "48", "--intermediate", "80",
                       "--out", str(tmp_path / "wide")]) == 0
    model, tokenizer = load_pretrained(folder)
    wide, _ = load_pretrained(tmp_path / "wide")
    text = wide.config.text
    # the tiny LLM is 32 wide with 4 query heads of 8 on 2 key/value heads
    assert (text.hidden_size, text.intermediate_size, text.num_attention_heads, text.num_key_value_heads) == (48, 80, 6, 3)
    assert wide.llm.model.layers[0].self_attn.q_proj.weight.shape == (48, 48)
    assert_same_function(model, wide, tokenizer, *_inputs(model))


def test_an_lm_head_tied_to_the_embeddings_stays_tied_and_the_same():
    tokenizer = make_tokenizer()
    config = tiny_config(tokenizer)
    config = dataclasses.replace(config, text=dataclasses.replace(
        config.text, extra={**config.text.extra, "tie_word_embeddings": True}))
    torch.manual_seed(0)
    model = LlavaModel.from_config(config).eval()
    wide = widen_llm(model, 48, 80)
    assert wide.llm.lm_head.weight is wide.llm.get_input_embeddings().weight
    assert_same_function(model, wide, tokenizer, *_inputs(model))


def test_new_width_gets_gradients_and_changes_the_output(tmp_path):
    model, _ = load_pretrained(save_tiny_checkpoint(tmp_path / "tiny"))
    wide = widen_llm(model, 48, 80).train()
    attn, mlp = wide.llm.model.layers[1].self_attn, wide.llm.model.layers[1].mlp
    embed = wide.llm.get_input_embeddings().weight
    new_writes = [attn.o_proj.weight[32:], attn.o_proj.weight[:, 32:], mlp.down_proj.weight[32:],
                  mlp.down_proj.weight[:, 64:], embed[:, 32:], wide.projector[2].weight[32:]]
    assert all(w.abs().max() == 0 for w in new_writes)
    ids, pixels = _inputs(model)
    wide(input_ids=ids, pixel_values=pixels, labels=ids).loss.backward()
    grads = [attn.o_proj.weight.grad[32:], attn.o_proj.weight.grad[:, 32:], mlp.down_proj.weight.grad[32:],
             mlp.down_proj.weight.grad[:, 64:], embed.grad[:, 32:], wide.projector[2].weight.grad[32:]]
    assert all(g.abs().max() > 0 for g in grads)
    with torch.no_grad():
        mlp.down_proj.weight[32:].add_(0.5 * mlp.down_proj.weight.grad[32:].sign())
        changed = wide.eval()(input_ids=ids, pixel_values=pixels).logits
        original = model(input_ids=ids, pixel_values=pixels).logits
    assert (changed - original).abs().max() > 1e-3


def test_widths_that_cannot_keep_the_heads_are_refused(tmp_path, capsys):
    model, _ = load_pretrained(save_tiny_checkpoint(tmp_path / "tiny"))
    text = model.config.text
    for hidden, intermediate, words in [(24, 80, "at least"), (48, 32, "at least"), (44, 80, "multiple of the head width 8"),
                                        (40, 80, "multiple of 16")]:
        with pytest.raises(ValueError, match=words):
            widened_text(text, hidden, intermediate)
    folder = tmp_path / "tiny"
    assert widen_main(["--model", str(folder), "--hidden", "40", "--intermediate", "80", "--out", str(tmp_path / "w")]) == 2
    assert "multiple of 16" in capsys.readouterr().err
    assert not (tmp_path / "w").exists()
    assert widen_main(["--model", str(folder), "--hidden", "48", "--intermediate", "80", "--out", str(folder)]) == 2
    assert "exists" in capsys.readouterr().err
