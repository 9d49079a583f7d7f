"""Batched decoding (left padding, per-row stops) gives each row what it gets alone; torch options agree."""
import numpy as np
import pytest
import torch

from llava_ros.engine import GenerationSettings, create_engine
from llava_ros.model import GenerationConfig, generate
from tests.tiny import save_tiny_checkpoint

PROMPTS = ["Where is the red cube?", "What is on the table?",
           "Describe the scene in detail, naming every object and where it is.", "Hello"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return save_tiny_checkpoint(tmp_path_factory.mktemp("tiny"))


@pytest.fixture(scope="module")
def engine(model_dir):
    return create_engine("torch", model_path=model_dir)


def images(n, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, 256, size=(24 + 8 * i, 40, 3), dtype=np.uint8) for i in range(n)]


def test_batched_greedy_equals_one_by_one(engine):
    imgs = images(4)
    imgs[3] = None  # a text-only row in the same batch
    settings = GenerationSettings(max_new_tokens=12)
    batch = engine.answer_batch(imgs, PROMPTS, settings)
    for img, prompt, got in zip(imgs, PROMPTS, batch):
        alone = engine.answer(img, prompt, settings)
        ids = engine.prompt_ids(prompt, img is not None)
        pixels = engine.processor(img) if img is not None else None
        reference = generate(engine.model, engine.tokenizer, ids, pixels,
                             GenerationConfig(max_new_tokens=12, stop_strings=(engine.stop_str,)))
        assert got.token_ids == alone.token_ids == reference.token_ids
        assert got.text == alone.text and got.stop_reason == alone.stop_reason
    assert batch[0].timings["prefill_s"] > 0


def test_rows_stop_independently(engine):
    """A scripted backend makes row 0 say EOS at its third token while row 1 runs to the budget."""
    from llava_ros.engine.decoding import decode_batch

    class Scripted:  # a backend whose logits follow a script per row: row 0 says EOS at step 2
        device = torch.device("cpu")
        step = 0

        def encode_images(self, pixels):
            raise AssertionError("no images here")

        def embed(self, ids):
            return torch.zeros(*ids.shape, 4)

        def forward(self, embeds, mask, pos, cache):
            vocab = len(engine.tokenizer)
            logits = torch.zeros(2, vocab)
            word = engine.tokenizer.convert_tokens_to_ids("▁red")
            logits[:, word] = 1
            if self.step == 2:
                logits[0, engine.tokenizer.eos_token_id] = 5
            self.step += 1
            return logits, None

        def synchronize(self):
            pass

    reqs = [engine.pre.prepare(None, p, GenerationSettings(max_new_tokens=6)) for p in PROMPTS[:2]]
    outs, _ = decode_batch(Scripted(), reqs, GenerationSettings(max_new_tokens=6), engine.tokenizer, (),
                           engine.config.image_token_id)
    assert (outs[0].stop_reason, len(outs[0].token_ids)) == ("eos", 2)
    assert (outs[1].stop_reason, len(outs[1].token_ids)) == ("max_new_tokens", 6)


def test_seeded_sampling_matches_the_model_loop(engine):
    img = images(1)[0]
    settings = GenerationSettings(max_new_tokens=8, temperature=0.9, top_p=0.8, seed=3)
    got = engine.answer(img, PROMPTS[0], settings)
    reference = generate(engine.model, engine.tokenizer, engine.prompt_ids(PROMPTS[0], True), engine.processor(img),
                         GenerationConfig(max_new_tokens=8, temperature=0.9, top_p=0.8, seed=3,
                                          stop_strings=(engine.stop_str,)))
    assert got.token_ids == reference.token_ids
    assert engine.answer(img, PROMPTS[0], settings).token_ids == got.token_ids


def test_static_cache_and_sdpa_give_the_same_tokens(model_dir, engine):
    other = create_engine("torch", model_path=model_dir, attn="sdpa", cache="static")
    settings = GenerationSettings(max_new_tokens=10)
    imgs = images(2, seed=1)
    assert [r.token_ids for r in other.answer_batch(imgs, PROMPTS[:2], settings)] == \
        [r.token_ids for r in engine.answer_batch(imgs, PROMPTS[:2], settings)]


def test_bad_options_are_named(model_dir):
    with pytest.raises(ValueError, match="dtype must be one of"):
        create_engine("torch", model_path=model_dir, dtype="int8")
    with pytest.raises(ValueError, match="compile=True needs cache='static'"):
        create_engine("torch", model_path=model_dir, compile=True)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA (bf16 + static cache + torch.compile)")
def test_cuda_bf16_compiled_decode_runs(model_dir):
    gpu = create_engine("torch", model_path=model_dir, device="cuda", dtype="bfloat16", attn="sdpa",
                        cache="static", compile=True)
    result = gpu.answer(images(1)[0], PROMPTS[0], GenerationSettings(max_new_tokens=8))
    assert result.token_ids and result.timings["decode_steps"] >= 0
