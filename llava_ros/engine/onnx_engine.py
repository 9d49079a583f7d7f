"""The onnx engine: the exported graphs (`engine/export.py`) on onnxruntime, CPU execution provider.

    engine = create_engine("onnx", model_path="models/llava-ros-sim")   # exports on first use, then cached

Same prompts, preprocessing, splicing and decoding loop as the torch engine (`prompting.py`, `decoding.py`);
only the network runs in onnxruntime. Token embeddings are a numpy lookup in the exported table. The KV cache
stays in onnxruntime `OrtValue`s between steps (`run_with_ort_values`): each step's `present_*` outputs are the
next step's `past_*` inputs without a copy through numpy.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from llava_ros.engine import register_engine
from llava_ros.engine.decoding import Backend
from llava_ros.engine.export import export_onnx, read_manifest
from llava_ros.engine.local import LocalEngine
from llava_ros.engine.prompting import Preprocessor
from llava_ros.model import LlavaConfig, load_tokenizer


def session_options(threads: int | None):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    threads = threads or int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return options


class OnnxBackend(Backend):
    def __init__(self, folder: str | Path, threads: int | None = None, providers: list[str] | None = None):
        import onnxruntime as ort

        folder = Path(folder)
        self.manifest = read_manifest(folder)
        files = self.manifest["files"]
        providers = providers or ["CPUExecutionProvider"]
        options = session_options(threads)
        self.vision = ort.InferenceSession(str(folder / files["vision"]), options, providers=providers)
        self.decoder = ort.InferenceSession(str(folder / files["decoder"]), options, providers=providers)
        self.table = np.load(folder / files["embed_tokens"])
        self.past_names = self.manifest["decoder_inputs"][3:]
        self.output_names = self.manifest["decoder_outputs"]
        self.kv = (self.manifest["kv_heads"], self.manifest["head_dim"])
        self.device = torch.device("cpu")

    def encode_images(self, pixel_values: torch.Tensor) -> torch.Tensor:
        pixels = np.ascontiguousarray(pixel_values.detach().cpu().numpy(), dtype=np.float32)
        return torch.from_numpy(self.vision.run(None, {"pixel_values": pixels})[0])

    def embed(self, input_ids: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.table[input_ids.cpu().numpy()])

    def forward(self, inputs_embeds, attention_mask, position_ids, cache):
        from onnxruntime import OrtValue

        if cache is None:
            empty = np.zeros((inputs_embeds.shape[0], self.kv[0], 0, self.kv[1]), np.float32)
            cache = [OrtValue.ortvalue_from_numpy(empty)] * len(self.past_names)
        feed = dict(zip(self.past_names, cache))
        feed["inputs_embeds"] = OrtValue.ortvalue_from_numpy(np.ascontiguousarray(inputs_embeds.numpy(), np.float32))
        feed["attention_mask"] = OrtValue.ortvalue_from_numpy(np.ascontiguousarray(attention_mask.numpy(), np.int64))
        feed["position_ids"] = OrtValue.ortvalue_from_numpy(np.ascontiguousarray(position_ids.numpy(), np.int64))
        outputs = self.decoder.run_with_ort_values(self.output_names, feed)
        logits = torch.from_numpy(outputs[0].numpy()[:, -1])
        return logits, outputs[1:]


@register_engine("onnx")
class OnnxEngine(LocalEngine):
    """`export_dir`: an existing export (default: export `model_path` on first use into MODEL/onnx/<hash>)."""

    def __init__(self, model_path: str | Path, export_dir: str | Path | None = None, threads: int | None = None,
                 max_context: int | None = None):
        self.model_id = str(model_path)
        self.export_dir = Path(export_dir) if export_dir is not None else export_onnx(model_path)
        self.backend = OnnxBackend(self.export_dir, threads)
        self.config = LlavaConfig.from_dict(self.backend.manifest["config"])
        self.pre = Preprocessor(self.config, load_tokenizer(model_path),
                                max_context or self.backend.manifest["max_position_embeddings"])
        self.processor = self.pre.image_processor
