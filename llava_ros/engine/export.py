"""Export a checkpoint folder to ONNX for the onnx and tensorrt engines.

    llava-ros export --model models/llava-ros-sim --format onnx [--out DIR] [--force]
    python -m llava_ros.engine.export --model DIR

Writes, into ``MODEL/onnx/<hash>/`` (hash = sha256 of config.json + *.safetensors, first 16 hex digits):

- ``vision.onnx``: ``pixel_values`` (N, 3, S, S) → ``image_features`` (N, num_image_tokens, D): the CLIP tower
  (layer ``select_layer``, CLS dropped as configured) and the projector; N is dynamic.
- ``decoder.onnx``: the LLM with its KV cache (``llama_graph.LlamaGraph`` for Llama models: same math, ~130
  nodes instead of ~750; other models: transformers' module traced), one graph for prefill (past length 0) and decode:
  inputs ``inputs_embeds`` (B, T, D), ``attention_mask`` (B, P+T) int64, ``position_ids`` (B, T) int64,
  ``past_key_<i>`` / ``past_value_<i>`` (B, kv_heads, P, head_dim) per layer; outputs ``logits`` (B, 1, vocab)
  (last position only) and ``present_key_<i>`` / ``present_value_<i>`` (B, kv_heads, P+T, head_dim).
  B, T and P are dynamic.
- ``embed_tokens.npy``: the (vocab, D) float32 token embedding table (splicing and decode steps embed in numpy).
- ``manifest.json``: hash, model config, shapes, file and tensor names, versions.

The exporter is torch's TorchScript-based ``torch.onnx.export(dynamo=False)`` with ``dynamic_axes``: it traces
transformers' Llama with a ``DynamicCache`` filled from the flat past tensors; the dynamo exporter would need
onnxscript and transformers' cache pytree registrations. Graphs stay float32 (TensorRT builds fp16 from them).
"""
from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from transformers import DynamicCache

from llava_ros.engine import llama_graph

MANIFEST = "manifest.json"
FORMAT_VERSION = 2  # 2: Llama decoders use llama_graph.LlamaGraph
OPSET = 17


def model_hash(model_dir: str | Path) -> str:
    """sha256 over config.json and every *.safetensors file of the folder (names and bytes)."""
    model_dir = Path(model_dir)
    files = [model_dir / "config.json"] + sorted(model_dir.glob("*.safetensors"))
    missing = [str(f) for f in files if not f.is_file()]
    if missing or len(files) == 1:
        raise FileNotFoundError(f"{model_dir} needs config.json and *.safetensors to export; missing {missing or '*.safetensors'}")
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode())
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 22), b""):
                digest.update(block)
    return digest.hexdigest()


def default_export_dir(model_dir: str | Path, digest: str | None = None) -> Path:
    return Path(model_dir) / "onnx" / (digest or model_hash(model_dir))[:16]


def read_manifest(folder: str | Path) -> dict:
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise FileNotFoundError(f"no {MANIFEST} in {folder}; run `llava-ros export --model MODEL --format onnx`")
    manifest = json.loads(path.read_text())
    if manifest.get("format_version") != FORMAT_VERSION:
        raise ValueError(f"{path} has format_version {manifest.get('format_version')!r}; this code reads "
                         f"{FORMAT_VERSION}: export again with --force")
    return manifest


class VisionGraph(nn.Module):
    """pixel_values → projected image features (what `LlavaModel.encode_images` computes)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.model.encode_images(pixel_values)


class DecoderGraph(nn.Module):
    """Flat tensors in and out around transformers' LLM with a `DynamicCache`; last-position logits only."""

    def __init__(self, llm):
        super().__init__()
        self.llm = llm
        self.num_layers = llm.config.num_hidden_layers

    def forward(self, inputs_embeds, attention_mask, position_ids, *past):
        cache = DynamicCache(config=self.llm.config)
        for i in range(self.num_layers):
            cache.update(past[2 * i], past[2 * i + 1], i)
        out = self.llm(inputs_embeds=inputs_embeds, attention_mask=attention_mask, position_ids=position_ids,
                       past_key_values=cache, use_cache=True, logits_to_keep=1)
        present = []
        for layer in out.past_key_values.layers[: self.num_layers]:
            present += [layer.keys, layer.values]
        return (out.logits, *present)


def decoder_graph(llm) -> tuple[nn.Module, str]:
    """The lean hand-written Llama graph where it covers the model, else transformers' model traced."""
    if llama_graph.supports(llm.config) is None:
        return llama_graph.LlamaGraph(llm).eval(), "llama_graph"
    return DecoderGraph(llm), "traced"


def decoder_names(num_layers: int) -> tuple[list[str], list[str]]:
    kv = [f"{kind}_{i}" for i in range(num_layers) for kind in ("key", "value")]
    return (["inputs_embeds", "attention_mask", "position_ids"] + [f"past_{n}" for n in kv],
            ["logits"] + [f"present_{n}" for n in kv])


def kv_shape(llm_config) -> tuple[int, int]:
    heads = llm_config.num_attention_heads
    kv_heads = getattr(llm_config, "num_key_value_heads", None) or heads
    head_dim = getattr(llm_config, "head_dim", None) or llm_config.hidden_size // heads
    return kv_heads, head_dim


def _export(module: nn.Module, args: tuple, path: Path, inputs: list[str], outputs: list[str], axes: dict) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer warnings about Python control flow on shapes
        torch.onnx.export(module, args, str(path), input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=OPSET, dynamo=False, do_constant_folding=True)


@torch.no_grad()
def export_onnx(model_dir: str | Path, out_dir: str | Path | None = None, force: bool = False) -> Path:
    """Export (or reuse the cached export of) `model_dir`; returns the folder holding manifest.json."""
    import onnx

    from llava_ros.model import load_model

    model_dir = Path(model_dir)
    digest = model_hash(model_dir)
    out = Path(out_dir) if out_dir is not None else default_export_dir(model_dir, digest)
    if not force and (out / MANIFEST).is_file():
        try:
            if read_manifest(out)["model_hash"] == digest:
                return out
        except ValueError:
            pass
    model = load_model(model_dir, dtype=torch.float32).eval()
    llm, config = model.llm, model.config
    kv_heads, head_dim = kv_shape(llm.config)
    layers, hidden = llm.config.num_hidden_layers, llm.config.hidden_size
    size = config.vision.image_size

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=out.parent))
    try:
        _export(VisionGraph(model), (torch.zeros(2, 3, size, size),), tmp / "vision.onnx",
                ["pixel_values"], ["image_features"],
                {"pixel_values": {0: "images"}, "image_features": {0: "images"}})
        inputs, outputs = decoder_names(layers)
        batch, new, past = 2, 3, 4  # distinct sizes so the tracer cannot confuse axes
        args = (torch.zeros(batch, new, hidden), torch.ones(batch, past + new, dtype=torch.long),
                torch.arange(past, past + new).repeat(batch, 1)) + tuple(
            torch.zeros(batch, kv_heads, past, head_dim) for _ in range(2 * layers))
        axes = {"inputs_embeds": {0: "batch", 1: "new"}, "attention_mask": {0: "batch", 1: "total"},
                "position_ids": {0: "batch", 1: "new"}, "logits": {0: "batch"}}
        axes.update({n: {0: "batch", 2: "past"} for n in inputs[3:]})
        axes.update({n: {0: "batch", 2: "total"} for n in outputs[1:]})
        graph, graph_name = decoder_graph(llm)
        _export(graph, args, tmp / "decoder.onnx", inputs, outputs, axes)
        for name in ("vision.onnx", "decoder.onnx"):
            onnx.checker.check_model(str(tmp / name))
        np.save(tmp / "embed_tokens.npy", llm.get_input_embeddings().weight.detach().float().numpy())
        manifest = {
            "format_version": FORMAT_VERSION, "model_hash": digest, "model_dir": str(model_dir.resolve()),
            "config": config.to_dict(), "num_layers": layers, "hidden_size": hidden, "kv_heads": kv_heads,
            "head_dim": head_dim, "vocab_size": llm.config.vocab_size, "image_size": size,
            "num_image_tokens": model.num_image_tokens, "max_position_embeddings": llm.config.max_position_embeddings,
            "files": {"vision": "vision.onnx", "decoder": "decoder.onnx", "embed_tokens": "embed_tokens.npy"},
            "decoder_inputs": inputs, "decoder_outputs": outputs, "decoder_graph": graph_name, "opset": OPSET,
            "versions": {"torch": torch.__version__, "transformers": _version("transformers"), "onnx": onnx.__version__},
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        if out.exists():
            shutil.rmtree(out)
        tmp.rename(out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return out


def _version(package: str) -> str:
    from importlib.metadata import version
    return version(package)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="llava-ros export", description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True, help="checkpoint folder (config.json + *.safetensors)")
    parser.add_argument("--format", default="onnx", choices=["onnx", "tensorrt"],
                        help="onnx: the graphs; tensorrt: the graphs plus TensorRT engines (needs tensorrt + GPU)")
    parser.add_argument("--out", default=None, help="output folder (default: MODEL/onnx/<hash>)")
    parser.add_argument("--force", action="store_true", help="export again even if a matching export exists")
    args = parser.parse_args(argv)
    try:
        folder = export_onnx(args.model, args.out, args.force)
        if args.format == "tensorrt":
            from llava_ros.engine.tensorrt_engine import build_engines
            folder = build_engines(folder)
    except (ValueError, FileNotFoundError, ImportError, RuntimeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(folder)
    return 0


if __name__ == "__main__":
    sys.exit(main())
