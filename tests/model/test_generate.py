import pytest
import torch

from llava_ros.model import GenerationConfig, build_prompt, generate, tokenizer_image_token


def prompt_ids(tokenizer, model):
    return tokenizer_image_token(build_prompt("What is on the table?"), tokenizer, model.config.image_token_id)


def test_cached_equals_uncached_greedy(model, tokenizer, pixels):
    ids = prompt_ids(tokenizer, model)
    config = GenerationConfig(max_new_tokens=12)
    cached = generate(model, tokenizer, ids, pixels[:1], config)
    uncached = generate(model, tokenizer, ids, pixels[:1], config, use_cache=False)
    assert len(cached.token_ids) > 0
    assert cached.token_ids == uncached.token_ids and cached.text == uncached.text
    assert cached.stop_reason in ("eos", "max_new_tokens")


def test_stop_string_and_streaming(model, tokenizer, pixels):
    ids = prompt_ids(tokenizer, model)
    full = generate(model, tokenizer, ids, pixels[:1], GenerationConfig(max_new_tokens=12))
    assert len(full.text) >= 4, full.text
    stop = full.text[2:4]
    pieces: list[str] = []
    cut = generate(model, tokenizer, ids, pixels[:1], GenerationConfig(max_new_tokens=12, stop_strings=(stop,)),
                   on_text=pieces.append)
    assert cut.stop_reason == "stop_string"
    assert cut.text == full.text[: full.text.find(stop)]
    assert "".join(pieces) == cut.text  # nothing of the stop string leaked into the stream
    streamed: list[str] = []
    again = generate(model, tokenizer, ids, pixels[:1], GenerationConfig(max_new_tokens=12), on_text=streamed.append)
    assert "".join(streamed) == again.text == full.text


def test_sampling_is_seeded_and_top_p_tiny_is_greedy(model, tokenizer, pixels):
    ids = prompt_ids(tokenizer, model)
    sample = GenerationConfig(max_new_tokens=8, temperature=1.0, top_p=0.9, seed=123)
    assert generate(model, tokenizer, ids, pixels[:1], sample).token_ids == \
        generate(model, tokenizer, ids, pixels[:1], sample).token_ids
    greedy = generate(model, tokenizer, ids, pixels[:1], GenerationConfig(max_new_tokens=8))
    nucleus = generate(model, tokenizer, ids, pixels[:1], GenerationConfig(max_new_tokens=8, temperature=1.0,
                                                                             top_p=1e-6, seed=0))
    assert nucleus.token_ids == greedy.token_ids


def test_bad_generation_args(model, tokenizer):
    with pytest.raises(ValueError, match="top_p must be in"):
        GenerationConfig(top_p=0)
    with pytest.raises(ValueError, match="max_new_tokens must be >= 1, got 0"):
        GenerationConfig(max_new_tokens=0)
    with pytest.raises(ValueError, match=r"one prompt, input_ids shape \(2, 3\)"):
        generate(model, tokenizer, torch.ones(2, 3, dtype=torch.long))
