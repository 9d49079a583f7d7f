"""Engine latency vs transformers' stock `generate`, same weights, same run.

    python -m bench.latency --model models/llava-ros-sim [--engines torch,onnx] [--remote URL] [--repeats 5]
    python -m bench.latency --gpu-7b        # LLaVA-1.5-7B-shaped random model, bf16, needs CUDA

CPU mode, per engine: vision+projector ms (1 image), prefill ms, TTFT ms, decode tokens/s (20 forced steps,
EOS ignored, batch 1), end-to-end ms of `answer(max_new_tokens=20)` (preprocessing included), batch-8 tokens/s
(`answer_batch`, 8 pairs, 20 tokens) and whether its greedy tokens equal stock `generate`'s. The stock row is
`LlavaForConditionalGeneration.generate` when the checkpoint is HF llava (`mlp2x_gelu`), else our
vision+projector then `LlamaForCausalLM.generate(inputs_embeds=...)`; its preprocessing is ours (same CLIP
processor). Medians of `--repeats`. Writes bench/results/latency-<model>.json and .md.

`--gpu-7b`: random weights in bf16 shaped like LLaVA-1.5-7B (CLIP ViT-L/14-336, mlp2x_gelu, Llama-2-7B):
vision ms, TTFT for 576 image + 64 text tokens, decode tokens/s at batch 1 and 8 (torch engine backend,
static cache + torch.compile), stock generate in the same run, and the memory-bandwidth bound
(LLM weight bytes ÷ measured device-to-device copy bandwidth). Refuses without CUDA.
"""
from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

from llava_ros.engine import GenerationSettings, create_engine
from llava_ros.engine.decoding import splice_left_padded
from llava_ros.engine.parity import synthetic_pairs

RESULTS = Path(__file__).resolve().parent / "results"
NEW_TOKENS, BATCH = 20, 8


def median_time(fn, repeats: int, sync=lambda: None) -> float:
    times = []
    for _ in range(repeats):
        sync()
        start = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


# ---------------------------------------------------------------- our engines
def backend_phases(engine, request, repeats: int) -> dict[str, float]:
    """vision, prefill and forced decode timings straight on the engine's backend (batch 1)."""
    backend, image_id = engine.backend, engine.pre.config.image_token_id

    def vision():
        return backend.encode_images(request.pixels.to(backend.device))

    def prefill():
        embeds, mask, pos = splice_left_padded(backend, [request], image_id, vision())
        return backend.forward(embeds, mask, pos, None), mask, pos

    def decode(steps: int):
        (logits, cache), mask, pos = prefill()
        for _ in range(steps):
            token = logits.argmax(-1, keepdim=True)
            mask = torch.cat([mask, mask.new_ones((1, 1))], dim=1)
            pos = pos[:, -1:] + 1
            logits, cache = backend.forward(backend.embed(token), mask, pos, cache)

    with torch.inference_mode():
        decode(2)  # warm-up
        t_vision = median_time(vision, repeats, backend.synchronize)
        t_ttft = median_time(prefill, repeats, backend.synchronize)
        t_full = median_time(lambda: decode(NEW_TOKENS - 1), repeats, backend.synchronize)
    return {"vision_ms": 1e3 * t_vision, "prefill_ms": 1e3 * (t_ttft - t_vision), "ttft_ms": 1e3 * t_ttft,
            "decode_tok_s": (NEW_TOKENS - 1) / max(t_full - t_ttft, 1e-9)}


def engine_row(engine, pairs, repeats: int, phases: bool = True) -> tuple[dict, list[list[int]]]:
    settings = GenerationSettings(max_new_tokens=NEW_TOKENS)
    image, prompt = pairs[0]
    engine.answer(image, prompt, settings)  # warm-up
    row = backend_phases(engine, engine.pre.prepare(image, prompt, settings), repeats) if phases else {}
    row["e2e_ms"] = 1e3 * median_time(lambda: engine.answer(image, prompt, settings), repeats)
    images, prompts = [p[0] for p in pairs[:BATCH]], [p[1] for p in pairs[:BATCH]]
    start = time.perf_counter()
    results = engine.answer_batch(images, prompts, settings)
    row["batch8_tok_s"] = sum(len(r.token_ids) for r in results) / (time.perf_counter() - start)
    tokens = [engine.answer(img, p, settings).token_ids for img, p in pairs[:BATCH]]
    row["answer_tokens"] = len(tokens[0])
    return row, tokens


# ---------------------------------------------------------------- stock transformers
class Stock:
    """transformers' own `generate` on the checkpoint's weights."""

    def __init__(self, model_dir: Path, reference):
        self.ref = reference  # the torch engine: preprocessing (and weights for the non-llava case)
        config = json.loads((model_dir / "config.json").read_text())
        self.tok = reference.tokenizer
        if config.get("model_type") == "llava":
            from transformers import LlavaForConditionalGeneration
            self.hf = LlavaForConditionalGeneration.from_pretrained(str(model_dir)).eval()
            self.kind = "LlavaForConditionalGeneration.generate"
        else:
            self.hf = None
            self.kind = "vision+projector, LlamaForCausalLM.generate(inputs_embeds)"

    def generate(self, pairs, new_tokens: int, min_new: int = 0) -> list[list[int]]:
        settings = GenerationSettings(max_new_tokens=new_tokens)
        reqs = [self.ref.pre.prepare(img, p, settings) for img, p in pairs]
        kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=min_new, do_sample=False,
                      eos_token_id=self.tok.eos_token_id, pad_token_id=self.tok.pad_token_id)
        with torch.inference_mode():
            if self.hf is None:
                embeds, mask, _ = splice_left_padded(self.ref.backend, reqs, self.ref.config.image_token_id,
                                                     self.ref.model.encode_images(torch.cat([r.pixels for r in reqs])))
                out = self.ref.model.llm.generate(inputs_embeds=embeds, attention_mask=mask, **kwargs)
            else:
                image_id, n = self.hf.config.image_token_index, self.ref.model.num_image_tokens
                rows = [[t for i in r.ids for t in ([i] * n if i == image_id else [i])] for r in reqs]
                width = max(map(len, rows))
                ids = torch.tensor([[self.tok.pad_token_id] * (width - len(r)) + r for r in rows])
                mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows])
                out = self.hf.generate(input_ids=ids, attention_mask=mask, pixel_values=torch.cat(
                    [r.pixels for r in reqs]), **kwargs)[:, width:]
        tokens = []
        for row in out.tolist():
            tokens.append(row[:row.index(self.tok.eos_token_id)] if self.tok.eos_token_id in row else row)
        return tokens

    def row(self, pairs, repeats: int) -> tuple[dict, list[list[int]]]:
        one = pairs[:1]
        self.generate(one, 2)  # warm-up
        t1 = median_time(lambda: self.generate(one, 1), repeats)
        t20 = median_time(lambda: self.generate(one, NEW_TOKENS, NEW_TOKENS), repeats)
        row = {"ttft_ms": 1e3 * t1, "decode_tok_s": (NEW_TOKENS - 1) / max(t20 - t1, 1e-9),
               "e2e_ms": 1e3 * median_time(lambda: self.generate(one, NEW_TOKENS), repeats)}
        start = time.perf_counter()
        batch = self.generate(pairs[:BATCH], NEW_TOKENS)
        row["batch8_tok_s"] = sum(map(len, batch)) / (time.perf_counter() - start)
        tokens = [self.generate([pair], NEW_TOKENS)[0] for pair in pairs[:BATCH]]
        row["answer_tokens"] = len(tokens[0])
        return row, tokens


# ---------------------------------------------------------------- reporting
COLUMNS = [("vision_ms", "vision+proj ms", ".2f"), ("prefill_ms", "prefill ms", ".2f"), ("ttft_ms", "TTFT ms", ".2f"),
           ("decode_tok_s", "decode tok/s", ".1f"), ("e2e_ms", "e2e ms (20 tok)", ".2f"),
           ("batch8_tok_s", "batch-8 tok/s", ".1f"), ("e2e_speedup", "e2e × stock", ".2f"),
           ("batch8_speedup", "batch-8 × stock", ".2f"), ("same_tokens", "same greedy tokens", "")]


def markdown(rows: dict[str, dict], title: str) -> str:
    lines = [f"### {title}", "", "| engine | " + " | ".join(c[1] for c in COLUMNS) + " |",
             "|---" * (len(COLUMNS) + 1) + "|"]
    for name, row in rows.items():
        cells = []
        for key, _, fmt in COLUMNS:
            value = row.get(key)
            cells.append("—" if value is None else (format(value, fmt) if fmt else str(value)))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write(result: dict, table: str, tag: str, out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"latency-{tag}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    path.with_suffix(".md").write_text(table)
    return path


def cpu_bench(args) -> int:
    model_dir = Path(args.model)
    pairs = synthetic_pairs(BATCH, seed=7)
    torch_engine = create_engine("torch", model_path=model_dir)
    stock = Stock(model_dir, torch_engine)
    rows, tokens = {}, {}
    for name in args.engines.split(","):
        try:
            engine = torch_engine if name == "torch" else create_engine(name, model_path=model_dir)
        except (ImportError, RuntimeError) as exc:
            print(f"skipping {name}: {exc}", file=sys.stderr)
            continue
        rows[name], tokens[name] = engine_row(engine, pairs, args.repeats)
    if args.remote:
        remote = create_engine("remote", base_url=args.remote)
        rows["remote"], _ = engine_row(remote, pairs, args.repeats, phases=False)
    rows[f"stock ({stock.kind})"], stock_tokens = stock.row(pairs, args.repeats)
    base = rows[f"stock ({stock.kind})"]
    for name, row in rows.items():
        row["e2e_speedup"] = base["e2e_ms"] / row["e2e_ms"]
        row["batch8_speedup"] = row["batch8_tok_s"] / base["batch8_tok_s"]
        if name in tokens:
            row["same_tokens"] = f"{sum(a == b for a, b in zip(tokens[name], stock_tokens))}/{len(stock_tokens)}"
    title = (f"{model_dir.name} on {platform.processor() or platform.machine()}, torch threads "
             f"{torch.get_num_threads()}, {args.repeats} repeats")
    table = markdown(rows, title)
    print(table)
    result = {"model": str(model_dir), "device": platform.platform(), "threads": torch.get_num_threads(),
              "new_tokens": NEW_TOKENS, "batch": BATCH, "rows": rows, "stock": stock.kind,
              "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    print(f"wrote {write(result, table, model_dir.name, Path(args.out))}")
    return 0


# ---------------------------------------------------------------- GPU, 7B-shaped
def llava15_7b_config():
    from llava_ros.model import LlavaConfig, ProjectorConfig, TextConfig, VisionConfig
    return LlavaConfig(
        vision=VisionConfig(hidden_size=1024, intermediate_size=4096, num_hidden_layers=24, num_attention_heads=16,
                            image_size=336, patch_size=14),
        projector=ProjectorConfig("mlp2x_gelu"),
        text=TextConfig(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                        num_key_value_heads=32, vocab_size=32064, max_position_embeddings=4096),
        image_token_id=32000)


def copy_bandwidth(nbytes: int = 2 << 30) -> float:
    """Device-to-device copy bandwidth in bytes/s (read + write counted)."""
    src = torch.empty(nbytes, dtype=torch.uint8, device="cuda")
    dst = torch.empty_like(src)
    dst.copy_(src)
    seconds = median_time(lambda: dst.copy_(src), 10, torch.cuda.synchronize)
    return 2 * nbytes / seconds


def gpu_bench(args) -> int:
    if not torch.cuda.is_available():
        print("error: --gpu-7b needs an NVIDIA GPU with CUDA; torch sees none here "
              f"(torch {torch.__version__}, cuda build: {torch.version.cuda})", file=sys.stderr)
        return 2
    from llava_ros.engine.torch_engine import TorchBackend
    from llava_ros.model import LlavaModel

    device, sync = torch.cuda.get_device_name(), torch.cuda.synchronize
    with torch.device("cuda"):
        torch.set_default_dtype(torch.bfloat16)
        model = LlavaModel.from_config(llava15_7b_config()).eval()
        torch.set_default_dtype(torch.float32)
    model.llm.set_attn_implementation("sdpa")
    weight_bytes = sum(p.numel() * p.element_size() for p in model.llm.parameters())
    bandwidth = copy_bandwidth()
    bound = bandwidth / weight_bytes
    n_text, rows = 64, {}
    for batch in (1, 8):
        backend = TorchBackend(model, cache="static", compile=not args.no_compile, max_cache_len=1024)
        pixels = torch.randn(batch, 3, 336, 336, device="cuda")
        ids = torch.randint(0, 32000, (batch, n_text), device="cuda")
        mask = torch.ones(batch, 576 + n_text, dtype=torch.long, device="cuda")
        pos = torch.arange(576 + n_text, device="cuda").repeat(batch, 1)

        def prefill():
            feats = backend.encode_images(pixels)
            embeds = torch.cat([backend.embed(ids[:, :5]), feats, backend.embed(ids[:, 5:])], dim=1)
            return backend.forward(embeds, mask, pos, None)

        def decode(steps):
            logits, cache = prefill()
            m, p = mask, pos[:, -1:]
            for _ in range(steps):
                m, p = torch.cat([m, m.new_ones((batch, 1))], 1), p + 1
                logits, cache = backend.forward(backend.embed(logits.argmax(-1, keepdim=True)), m, p, cache)

        with torch.inference_mode():
            decode(4)  # warm-up / compile
            t_vision = median_time(lambda: backend.encode_images(pixels), args.repeats, sync)
            t_ttft = median_time(prefill, args.repeats, sync)
            t_full = median_time(lambda: decode(64), args.repeats, sync)
            embeds = torch.cat([backend.embed(ids[:, :5]), backend.encode_images(pixels), backend.embed(ids[:, 5:])], 1)
            gen = dict(inputs_embeds=embeds, attention_mask=mask, do_sample=False, pad_token_id=0, eos_token_id=None)
            s1 = median_time(lambda: model.llm.generate(max_new_tokens=1, **gen), args.repeats, sync)
            s65 = median_time(lambda: model.llm.generate(max_new_tokens=65, min_new_tokens=65, **gen), args.repeats, sync)
        decode_tok_s = batch * 64 / (t_full - t_ttft)
        stock_tok_s = batch * 64 / (s65 - s1)
        rows[f"torch bf16 static+compile, batch {batch}"] = {
            "vision_ms": 1e3 * t_vision, "ttft_ms": 1e3 * t_ttft, "decode_tok_s": decode_tok_s,
            "bound_tok_s": bound * batch, "fraction_of_bound": decode_tok_s / (bound * batch),
            "stock_ttft_ms": 1e3 * s1, "stock_decode_tok_s": stock_tok_s, "decode_vs_stock": decode_tok_s / stock_tok_s}
    lines = [f"### LLaVA-1.5-7B-shaped (random, bf16) on {device}", "",
             f"LLM weights {weight_bytes / 1e9:.2f} GB; D2D copy {bandwidth / 1e9:.0f} GB/s → bound "
             f"{bound:.1f} steps/s", "",
             "| config | vision ms | TTFT ms (576+64) | decode tok/s | bound tok/s | % of bound | stock TTFT ms | "
             "stock decode tok/s | × stock |", "|---" * 9 + "|"]
    for name, r in rows.items():
        lines.append(f"| {name} | {r['vision_ms']:.2f} | {r['ttft_ms']:.2f} | {r['decode_tok_s']:.1f} | "
                     f"{r['bound_tok_s']:.1f} | {100 * r['fraction_of_bound']:.0f}% | {r['stock_ttft_ms']:.2f} | "
                     f"{r['stock_decode_tok_s']:.1f} | {r['decode_vs_stock']:.2f} |")
    table = "\n".join(lines) + "\n"
    print(table)
    tag = "gpu-7b-" + "".join(c if c.isalnum() else "_" for c in device)
    result = {"device": device, "weight_bytes": weight_bytes, "copy_bandwidth_bytes_s": bandwidth, "rows": rows,
              "torch": torch.__version__, "time": time.strftime("%Y-%m-%d %H:%M:%S")}
    print(f"wrote {write(result, table, tag, Path(args.out))}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="checkpoint folder (CPU mode)")
    parser.add_argument("--engines", default="torch,onnx,tensorrt", help="comma-separated registered names")
    parser.add_argument("--remote", default=None, help="also time a running server at this base URL")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--gpu-7b", action="store_true", help="LLaVA-1.5-7B-shaped random model in bf16 on CUDA")
    parser.add_argument("--no-compile", action="store_true", help="--gpu-7b without torch.compile")
    args = parser.parse_args(argv)
    if args.gpu_7b:
        return gpu_bench(args)
    if not args.model:
        parser.error("--model DIR is required (or --gpu-7b)")
    return cpu_bench(args)


if __name__ == "__main__":
    sys.exit(main())
