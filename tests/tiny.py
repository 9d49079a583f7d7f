"""Tiny tokenizer, configs and checkpoints shared by the tests (hidden 32, 2 layers, 32 px images)."""
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from llava_ros.model import LlavaConfig, LlavaModel, ProjectorConfig, TextConfig, VisionConfig, save_pretrained

CORPUS = [
    "A chat between a curious user and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the user's questions.",
    "A chat between a curious human and an artificial intelligence assistant. "
    "The assistant gives helpful, detailed, and polite answers to the human's questions.",
    "USER: What is on the table? ASSISTANT: A red cube and a blue ball.",
    "USER: Where is the green cylinder? ASSISTANT: It is left of the red cube, near the robot.",
    "A photo of a red cube on a wooden table.",
]
ALPHABET = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,:;!?'\"\n-()[]<>/")


def make_tokenizer() -> PreTrainedTokenizerFast:
    """Llama-like BPE: Metaspace pre-tokenizer ("▁" word starts, added after special tokens too, like the
    legacy Llama tokenizer LLaVA used), BOS prepended by the post-processor, `<image>` a special token."""
    tok = Tokenizer(models.BPE(unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always")
    tok.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always")
    trainer = trainers.BpeTrainer(
        vocab_size=200, special_tokens=["<unk>", "<s>", "</s>", "<pad>", "<image>"], initial_alphabet=ALPHABET
    )
    tok.train_from_iterator(CORPUS * 4, trainer)
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, bos_token="<s>", eos_token="</s>", unk_token="<unk>", pad_token="<pad>",
        extra_special_tokens=["<image>"],
    )


def tiny_config(tokenizer, projector: str = "mlp2x_gelu", **vision) -> LlavaConfig:
    return LlavaConfig(
        vision=VisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            image_size=32, patch_size=8, **vision),
        projector=ProjectorConfig(projector),
        text=TextConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                        num_key_value_heads=2, vocab_size=len(tokenizer), max_position_embeddings=256,
                        extra={"bos_token_id": tokenizer.bos_token_id, "eos_token_id": tokenizer.eos_token_id,
                               "pad_token_id": tokenizer.pad_token_id}),
        image_token_id=tokenizer.convert_tokens_to_ids("<image>"),
    )


def save_tiny_checkpoint(folder: Path, seed: int = 0, projector: str = "mlp2x_gelu") -> Path:
    """A random tiny LLaVA + tokenizer saved as a checkpoint folder (what engines and the CLI load)."""
    tokenizer = make_tokenizer()
    torch.manual_seed(seed)
    model = LlavaModel.from_config(tiny_config(tokenizer, projector)).eval()
    save_pretrained(model, tokenizer, folder)
    return Path(folder)
