"""The check the checkpoint growth tests share: a grown model computes what the original did."""
import torch

from llava_ros.model.generate import GenerationConfig, generate


def assert_same_function(model, grown, tokenizer, ids: torch.Tensor, pixels: torch.Tensor) -> None:
    """Equal logits (to 1e-5, on logits that are not all near zero) and equal greedy generations, which
    run through the KV cache of every layer."""
    with torch.no_grad():
        before = model(input_ids=ids, pixel_values=pixels).logits
        after = grown(input_ids=ids, pixel_values=pixels).logits
    assert before.abs().max() > 0.1
    assert (before - after).abs().max() <= 1e-5
    config = GenerationConfig(max_new_tokens=12)
    assert generate(grown, tokenizer, ids[0], pixels, config).token_ids == \
        generate(model, tokenizer, ids[0], pixels, config).token_ids
