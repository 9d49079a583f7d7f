"""The tensorrt engine: TensorRT engines built from the ONNX export, run with torch CUDA tensors as buffers.

    engine = create_engine("tensorrt", model_path="models/llava-ros-sim")           # fp16, builds on first use
    llava-ros export --model DIR --format tensorrt                                  # build ahead of time

NOT EXECUTED: no machine this project ran on had `tensorrt` and an NVIDIA GPU, so this module has never been
run; its tests skip with "needs tensorrt and an NVIDIA GPU". It is written against the TensorRT 10 Python API
(`build_serialized_network`, named I/O tensors, `set_input_shape`, `set_tensor_address`, `execute_async_v3`).

Build (`build_engines`): the ONNX parser reads `vision.onnx` and `decoder.onnx`; `precision="fp16"` sets the
FP16 builder flag (I/O stays float32), `"fp32"` also clears TF32 (for bit-closer parity with torch).
Optimisation profiles: vision batch 1..max_batch; the decoder gets two profiles, one per execution context:
0 = decode (1 new token, past 1..max_seq), 1 = prefill (1..max_seq new tokens, past exactly 1).
Plans are cached in ``<export>/tensorrt/<trt version>-<gpu name>-<precision>-b<max_batch>-s<max_seq>/`` beside
the ONNX export, whose folder is already keyed by the weights' hash.

Prefill uses a one-slot dummy past (zeros, masked out by a 0 in the attention mask) instead of an empty one:
TensorRT profiles with zero-length dimensions are fragile. The slot stays masked for the whole answer.
The KV cache lives in torch CUDA tensors; each step's `present_*` outputs become the next step's `past_*`.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import torch

from llava_ros.engine import register_engine
from llava_ros.engine.decoding import Backend
from llava_ros.engine.export import export_onnx, read_manifest
from llava_ros.engine.local import LocalEngine
from llava_ros.engine.prompting import Preprocessor
from llava_ros.model import LlavaConfig, load_tokenizer

SKIP_REASON = "needs tensorrt and an NVIDIA GPU"
DECODE_PROFILE, PREFILL_PROFILE = 0, 1


def _import_tensorrt():
    try:
        import tensorrt as trt
    except ImportError as exc:
        raise ImportError(f"the tensorrt engine {SKIP_REASON}; `import tensorrt` failed: {exc}") from exc
    if not torch.cuda.is_available():
        raise RuntimeError(f"the tensorrt engine {SKIP_REASON}; torch sees no CUDA device")
    return trt


def plan_dir(export_dir: str | Path, precision: str, max_batch: int, max_seq: int) -> Path:
    trt = _import_tensorrt()
    gpu = re.sub(r"[^A-Za-z0-9]+", "_", torch.cuda.get_device_name()).strip("_")
    return Path(export_dir) / "tensorrt" / f"{trt.__version__}-{gpu}-{precision}-b{max_batch}-s{max_seq}"


def _build(trt, onnx_path: Path, profiles: list[dict[str, tuple]], precision: str, workspace_gb: float) -> bytes:
    logger = trt.Logger(trt.Logger.WARNING)
    builder = trt.Builder(logger)
    network = builder.create_network(0)
    parser = trt.OnnxParser(network, logger)
    if not parser.parse_from_file(str(onnx_path)):
        errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
        raise RuntimeError(f"TensorRT could not parse {onnx_path}: {errors}")
    config = builder.create_builder_config()
    config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, int(workspace_gb * (1 << 30)))
    if precision == "fp16":
        config.set_flag(trt.BuilderFlag.FP16)
    else:
        config.clear_flag(trt.BuilderFlag.TF32)
    for shapes in profiles:
        profile = builder.create_optimization_profile()
        for name, (low, opt, high) in shapes.items():
            profile.set_shape(name, low, opt, high)
        config.add_optimization_profile(profile)
    serialized = builder.build_serialized_network(network, config)
    if serialized is None:
        raise RuntimeError(f"TensorRT failed to build an engine from {onnx_path} (see the log above)")
    return bytes(serialized)


def build_engines(export_dir: str | Path, precision: str = "fp16", max_batch: int = 8, max_seq: int | None = None,
                  workspace_gb: float = 4.0, force: bool = False) -> Path:
    """Build (or reuse) `vision.plan` and `decoder.plan` for an ONNX export; returns their folder."""
    if precision not in ("fp16", "fp32"):
        raise ValueError(f"precision must be 'fp16' or 'fp32', got {precision!r}")
    trt = _import_tensorrt()
    export_dir = Path(export_dir)
    m = read_manifest(export_dir)
    max_seq = max_seq or min(m["max_position_embeddings"], 4096)
    out = plan_dir(export_dir, precision, max_batch, max_seq)
    if not force and (out / "plans.json").is_file():
        return out
    size, hidden, kv, d = m["image_size"], m["hidden_size"], m["kv_heads"], m["head_dim"]
    mid_b, mid_s = max(1, max_batch // 2), max(2, max_seq // 2)
    vision = {"pixel_values": ((1, 3, size, size), (mid_b, 3, size, size), (max_batch, 3, size, size))}
    pasts = m["decoder_inputs"][3:]
    decode = {"inputs_embeds": ((1, 1, hidden), (mid_b, 1, hidden), (max_batch, 1, hidden)),
              "attention_mask": ((1, 2), (mid_b, mid_s + 1), (max_batch, max_seq + 1)),
              "position_ids": ((1, 1), (mid_b, 1), (max_batch, 1)),
              **{n: ((1, kv, 1, d), (mid_b, kv, mid_s, d), (max_batch, kv, max_seq, d)) for n in pasts}}
    prefill = {"inputs_embeds": ((1, 1, hidden), (mid_b, mid_s, hidden), (max_batch, max_seq, hidden)),
               "attention_mask": ((1, 2), (mid_b, mid_s + 1), (max_batch, max_seq + 1)),
               "position_ids": ((1, 1), (mid_b, mid_s), (max_batch, max_seq)),
               **{n: ((1, kv, 1, d), (mid_b, kv, 1, d), (max_batch, kv, 1, d)) for n in pasts}}
    out.mkdir(parents=True, exist_ok=True)
    (out / "vision.plan").write_bytes(_build(trt, export_dir / m["files"]["vision"], [vision], precision, workspace_gb))
    (out / "decoder.plan").write_bytes(_build(trt, export_dir / m["files"]["decoder"], [decode, prefill], precision,
                                              workspace_gb))
    (out / "plans.json").write_text(json.dumps({
        "model_hash": m["model_hash"], "tensorrt": trt.__version__, "gpu": torch.cuda.get_device_name(),
        "precision": precision, "max_batch": max_batch, "max_seq": max_seq}, indent=2) + "\n")
    return out


class TensorRTBackend(Backend):
    def __init__(self, export_dir: Path, plans: Path):
        trt = _import_tensorrt()
        self.trt = trt
        self.manifest = read_manifest(export_dir)
        self.device = torch.device("cuda")
        self.stream = torch.cuda.Stream()
        runtime = trt.Runtime(trt.Logger(trt.Logger.WARNING))
        self.vision_engine = runtime.deserialize_cuda_engine((plans / "vision.plan").read_bytes())
        self.decoder_engine = runtime.deserialize_cuda_engine((plans / "decoder.plan").read_bytes())
        self.vision_ctx = self.vision_engine.create_execution_context()
        self.decode_ctx = self.decoder_engine.create_execution_context()
        self.prefill_ctx = self.decoder_engine.create_execution_context()
        self.prefill_ctx.set_optimization_profile_async(PREFILL_PROFILE, self.stream.cuda_stream)
        self.table = torch.from_numpy(np.load(export_dir / self.manifest["files"]["embed_tokens"])).to(self.device)
        self.past_names = self.manifest["decoder_inputs"][3:]
        self.output_names = self.manifest["decoder_outputs"]
        self.kv = (self.manifest["kv_heads"], self.manifest["head_dim"])

    def _dtype(self, engine, name: str) -> torch.dtype:
        trt = self.trt
        return {trt.float32: torch.float32, trt.float16: torch.float16, trt.int64: torch.int64,
                trt.int32: torch.int32, trt.bfloat16: torch.bfloat16}[engine.get_tensor_dtype(name)]

    def _run(self, engine, ctx, inputs: dict[str, torch.Tensor], outputs: list[str]) -> list[torch.Tensor]:
        keep = []
        for name, value in inputs.items():
            value = value.to(self.device, self._dtype(engine, name)).contiguous()
            keep.append(value)
            ctx.set_input_shape(name, tuple(value.shape))
            ctx.set_tensor_address(name, value.data_ptr())
        results = []
        for name in outputs:
            shape = tuple(ctx.get_tensor_shape(name))
            results.append(torch.empty(shape, dtype=self._dtype(engine, name), device=self.device))
            ctx.set_tensor_address(name, results[-1].data_ptr())
        self.stream.wait_stream(torch.cuda.current_stream())
        if not ctx.execute_async_v3(self.stream.cuda_stream):
            raise RuntimeError("TensorRT execute_async_v3 failed")
        torch.cuda.current_stream().wait_stream(self.stream)
        return results

    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self._run(self.vision_engine, self.vision_ctx, {"pixel_values": pixel_values},
                         ["image_features"])[0].float()

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.embedding(input_ids.to(self.device), self.table)

    def forward(self, inputs_embeds, attention_mask, position_ids, cache):
        if cache is None:  # prefill: one masked dummy past slot (see the module docstring)
            batch = inputs_embeds.shape[0]
            cache = [torch.zeros(batch, self.kv[0], 1, self.kv[1], device=self.device)] * len(self.past_names)
            ctx = self.prefill_ctx
        else:
            ctx = self.decode_ctx
        mask = torch.cat([attention_mask.new_zeros((attention_mask.shape[0], 1)), attention_mask], dim=1)
        inputs = {"inputs_embeds": inputs_embeds.float(), "attention_mask": mask, "position_ids": position_ids,
                  **dict(zip(self.past_names, cache))}
        outs = self._run(self.decoder_engine, ctx, inputs, self.output_names)
        return outs[0][:, -1].float(), outs[1:]

    def synchronize(self) -> None:
        torch.cuda.synchronize()


@register_engine("tensorrt")
class TensorRTEngine(LocalEngine):
    """Never executed here (no tensorrt/GPU); see the module docstring."""

    def __init__(self, model_path: str | Path, precision: str = "fp16", max_batch: int = 8,
                 max_seq: int | None = None, export_dir: str | Path | None = None, max_context: int | None = None):
        _import_tensorrt()
        self.model_id = str(model_path)
        self.export_dir = Path(export_dir) if export_dir is not None else export_onnx(model_path)
        self.plans = build_engines(self.export_dir, precision, max_batch, max_seq)
        self.max_batch = max_batch
        self.backend = TensorRTBackend(self.export_dir, self.plans)
        self.config = LlavaConfig.from_dict(self.backend.manifest["config"])
        plans = json.loads((self.plans / "plans.json").read_text())
        context = min(max_context or plans["max_seq"], plans["max_seq"])
        self.pre = Preprocessor(self.config, load_tokenizer(model_path), context)
        self.processor = self.pre.image_processor

    def answer_batch(self, images, prompts, settings=None):
        if len(prompts) > self.max_batch:  # the engines' profiles stop at max_batch
            return [r for i in range(0, len(prompts), self.max_batch)
                    for r in super().answer_batch(images[i:i + self.max_batch], prompts[i:i + self.max_batch],
                                                  settings)]
        return super().answer_batch(images, prompts, settings)
