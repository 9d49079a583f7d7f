"""The export-friendly Llama graph computes what transformers' LlamaForCausalLM computes: eager and in onnxruntime."""
import numpy as np
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from llava_ros.engine.export import decoder_graph, decoder_names, _export
from llava_ros.engine.llama_graph import LlamaGraph, supports


def tiny_llm(kv_heads: int, seed: int = 0) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    config = LlamaConfig(vocab_size=97, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=kv_heads, max_position_embeddings=64)
    return LlamaForCausalLM(config).eval()


def left_padded(batch: int = 2, new: int = 7, hidden: int = 64):
    embeds = torch.randn(batch, new, hidden)
    mask = torch.ones(batch, new, dtype=torch.long)
    mask[0, :3] = 0  # row 0 is left-padded by three
    return embeds, mask, (mask.cumsum(-1) - 1).clamp(min=0)


@pytest.mark.parametrize("kv_heads", [4, 2])  # multi-head and grouped-query attention
def test_prefill_and_cached_decode_match_transformers(kv_heads):
    llm = tiny_llm(kv_heads)
    graph = LlamaGraph(llm).eval()
    embeds, mask, pos = left_padded()
    empty = [torch.zeros(2, kv_heads, 0, 16)] * 4
    with torch.no_grad():
        ref = llm(inputs_embeds=embeds, attention_mask=mask, position_ids=pos, use_cache=True)
        out = graph(embeds, mask, pos, *empty)
        assert out[0].shape == (2, 1, 97)
        assert float((ref.logits[:, -1:] - out[0]).abs().max()) <= 1e-5
        layer0 = ref.past_key_values.layers[0]
        assert torch.allclose(out[1], layer0.keys, atol=1e-5) and torch.allclose(out[2], layer0.values, atol=1e-5)
        step = torch.randn(2, 1, 64)
        mask2, pos2 = torch.cat([mask, torch.ones(2, 1, dtype=torch.long)], 1), pos[:, -1:] + 1
        ref2 = llm(inputs_embeds=step, attention_mask=mask2, position_ids=pos2,
                   past_key_values=ref.past_key_values, use_cache=True)
        out2 = graph(step, mask2, pos2, *out[1:])
    assert float((ref2.logits[:, -1:] - out2[0]).abs().max()) <= 1e-5
    assert out2[1].shape == (2, kv_heads, 8, 16)


def test_onnx_graph_matches_transformers(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    llm = tiny_llm(2, seed=1)
    graph, name = decoder_graph(llm)
    assert name == "llama_graph"
    inputs, outputs = decoder_names(2)
    args = (torch.zeros(2, 3, 64), torch.ones(2, 7, dtype=torch.long), torch.arange(4, 7).repeat(2, 1)) + tuple(
        torch.zeros(2, 2, 4, 16) for _ in range(4))
    axes = {"inputs_embeds": {0: "b", 1: "t"}, "attention_mask": {0: "b", 1: "s"}, "position_ids": {0: "b", 1: "t"},
            "logits": {0: "b"}, **{n: {0: "b", 2: "p"} for n in inputs[3:]}, **{n: {0: "b", 2: "s"} for n in outputs[1:]}}
    _export(graph, args, tmp_path / "decoder.onnx", inputs, outputs, axes)
    session = ort.InferenceSession(str(tmp_path / "decoder.onnx"), providers=["CPUExecutionProvider"])
    embeds, mask, pos = left_padded(new=5)
    feed = {"inputs_embeds": embeds.numpy(), "attention_mask": mask.numpy(), "position_ids": pos.numpy(),
            **{n: np.zeros((2, 2, 0, 16), np.float32) for n in inputs[3:]}}
    got = session.run(None, feed)
    with torch.no_grad():
        want = llm(inputs_embeds=embeds, attention_mask=mask, position_ids=pos).logits[:, -1:]
    assert np.abs(got[0] - want.numpy()).max() <= 1e-4
    assert got[1].shape == (2, 2, 5, 16)


def test_unsupported_configs_are_named_and_fall_back_to_tracing():
    llm = tiny_llm(4)
    llm.config.rope_parameters = {"rope_type": "linear", "rope_theta": 10000.0, "factor": 2.0}
    assert "rope_type 'linear'" in supports(llm.config)
    with pytest.raises(ValueError, match="rope_type 'linear'"):
        LlamaGraph(llm)
    assert decoder_graph(llm)[1] == "traced"
