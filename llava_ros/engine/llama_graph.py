"""A Llama decoder written for ONNX export: transformers' math and weights, a graph with few nodes.

Tracing transformers' `LlamaForCausalLM` gives a decoder graph of ~750 nodes (~340 after onnxruntime's
optimiser), most of them shape arithmetic for reshapes, the cache and the mask. For a small model a decode
step is then all per-node overhead: ~1.8 ms per token on one CPU core for ~3.5 M multiply-adds. This module
computes the same function with ~130 nodes and no shape arithmetic inside the layers:

- projections per head as one broadcast `MatMul` against weights stored as (heads, D, head_dim), so
  queries, keys and values come out as (B, heads, T, head_dim) with no Reshape/Transpose; the output
  projection is (heads, head_dim, D) followed by a sum over heads;
- rotary embeddings from a precomputed cos/sin table (transformers' own `rotary_emb` at export time) gathered
  by `position_ids`; `rotate_half` is a MatMul with a constant ±1 permutation matrix (exact in float32);
- the additive causal + padding mask built once per call from `attention_mask` and shared by all layers;
- gate and up projections fused into one MatMul.

Inputs, outputs and their meaning are those of `export.DecoderGraph` (flat KV cache tensors, last-position
logits), so the onnx and tensorrt engines read either graph. `supports(config)` says which Llama configs
this covers (default RoPE, no biases); others use the traced graph.
"""
from __future__ import annotations

import torch
from torch import nn


def supports(config) -> str | None:
    """None when `config` (a transformers Llama-family config) is covered, else the reason it is not."""
    if getattr(config, "model_type", None) not in ("llama",):
        return f"model_type {getattr(config, 'model_type', None)!r} is not llama"
    rope = getattr(config, "rope_parameters", None) or {}
    if rope.get("rope_type", "default") != "default":
        return f"rope_type {rope.get('rope_type')!r} is not 'default'"
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        return "attention or MLP biases"
    if getattr(config, "hidden_act", "silu") != "silu":
        return f"hidden_act {config.hidden_act!r} is not silu"
    return None


def rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """transformers' LlamaRMSNorm, float32."""
    variance = x.pow(2).mean(-1, keepdim=True)
    return weight * (x * torch.rsqrt(variance + eps))


def per_head(weight: torch.Tensor, heads: int) -> torch.Tensor:
    """nn.Linear weight (heads * d, D) → (heads, D, d), so that `x[:, None] @ w` is (B, heads, T, d)."""
    out_features, d_model = weight.shape
    return weight.reshape(heads, out_features // heads, d_model).transpose(1, 2).contiguous()


class LlamaLayerGraph(nn.Module):
    def __init__(self, layer, config):
        super().__init__()
        attn, mlp = layer.self_attn, layer.mlp
        self.heads, self.kv_heads = config.num_attention_heads, config.num_key_value_heads
        self.groups = self.heads // self.kv_heads
        self.eps = config.rms_norm_eps
        self.scale = attn.scaling
        self.ln1 = nn.Parameter(layer.input_layernorm.weight.detach().clone())
        self.ln2 = nn.Parameter(layer.post_attention_layernorm.weight.detach().clone())
        self.wqk = nn.Parameter(torch.cat([per_head(attn.q_proj.weight.detach(), self.heads),
                                           per_head(attn.k_proj.weight.detach(), self.kv_heads)]))
        self.wv = nn.Parameter(per_head(attn.v_proj.weight.detach(), self.kv_heads))
        head_dim = self.wv.shape[-1]
        self.wo = nn.Parameter(attn.o_proj.weight.detach().T.reshape(self.heads, head_dim, -1).contiguous())
        self.w_gate_up = nn.Parameter(torch.cat([mlp.gate_proj.weight.detach(), mlp.up_proj.weight.detach()]).T.contiguous())
        self.w_down = nn.Parameter(mlp.down_proj.weight.detach().T.contiguous())
        self.intermediate = mlp.gate_proj.weight.shape[0]

    def repeat_kv(self, x: torch.Tensor) -> torch.Tensor:
        if self.groups == 1:
            return x
        return x.repeat_interleave(self.groups, dim=1)

    def forward(self, h, cos, sin, rot, mask, past_k, past_v):
        x = rms_norm(h, self.ln1, self.eps)[:, None]  # (B, 1, T, D)
        qk = torch.matmul(x, self.wqk)  # (B, heads + kv_heads, T, d)
        qk = qk * cos + torch.matmul(qk, rot) * sin
        q, k = qk[:, : self.heads], qk[:, self.heads:]
        v = torch.matmul(x, self.wv)
        k = torch.cat([past_k, k], dim=2)
        v = torch.cat([past_v, v], dim=2)
        scores = torch.matmul(q, self.repeat_kv(k).transpose(2, 3)) * self.scale + mask
        probs = torch.softmax(scores, dim=-1)
        attn = torch.matmul(torch.matmul(probs, self.repeat_kv(v)), self.wo).sum(dim=1)  # (B, T, D)
        h = h + attn
        gate_up = torch.matmul(rms_norm(h, self.ln2, self.eps), self.w_gate_up)
        gate, up = gate_up[..., : self.intermediate], gate_up[..., self.intermediate:]
        h = h + torch.matmul(nn.functional.silu(gate) * up, self.w_down)
        return h, k, v


class LlamaGraph(nn.Module):
    """`forward(inputs_embeds, attention_mask, position_ids, *past)` → (last logits, *present), float32."""

    def __init__(self, llm):
        super().__init__()
        reason = supports(llm.config)
        if reason is not None:
            raise ValueError(f"LlamaGraph does not cover this model: {reason}")
        config, model = llm.config, llm.model
        self.layers = nn.ModuleList(LlamaLayerGraph(layer, config) for layer in model.layers)
        self.norm = nn.Parameter(model.norm.weight.detach().clone())
        self.eps = config.rms_norm_eps
        self.lm_head = nn.Parameter(llm.lm_head.weight.detach().T.contiguous())
        positions = torch.arange(config.max_position_embeddings)[None]
        probe = torch.zeros(1, dtype=torch.float32)
        cos, sin = model.rotary_emb(probe, positions)
        self.register_buffer("cos_table", cos[0].float().contiguous())
        self.register_buffer("sin_table", sin[0].float().contiguous())
        half = cos.shape[-1] // 2
        rot = torch.zeros(2 * half, 2 * half)  # x @ rot == cat(-x[..., half:], x[..., :half])
        rot[half:, :half] = -torch.eye(half)
        rot[:half, half:] = torch.eye(half)
        self.register_buffer("rot", rot)

    def additive_mask(self, attention_mask: torch.Tensor, new: int) -> torch.Tensor:
        """(B, P+T) 0/1 → (B, 1, T, P+T) float: 0 where query i may see key j (j <= P+i, key not padding)."""
        total = attention_mask.shape[1]
        keys = torch.arange(total)[None]
        queries = torch.arange(new)[:, None] + (total - new)
        allowed = (keys <= queries)[None, None] & (attention_mask[:, None, None, :] > 0)
        return torch.where(allowed, 0.0, torch.finfo(torch.float32).min)

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        mask = self.additive_mask(attention_mask, inputs_embeds.shape[1])
        cos = self.cos_table[position_ids][:, None]  # (B, 1, T, d)
        sin = self.sin_table[position_ids][:, None]
        h, present = inputs_embeds, []
        for i, layer in enumerate(self.layers):
            h, k, v = layer(h, cos, sin, self.rot, mask, past[2 * i], past[2 * i + 1])
            present += [k, v]
        logits = torch.matmul(rms_norm(h[:, -1:], self.norm, self.eps), self.lm_head)
        return (logits, *present)
