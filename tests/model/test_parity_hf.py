"""Logits parity with transformers' own LlavaForConditionalGeneration on the same weights, and HF-layout round trips."""

import json

import pytest
import torch
from transformers import CLIPVisionConfig, LlamaConfig, LlavaConfig as HFLlavaConfig, LlavaForConditionalGeneration

from llava_ros.model import LlavaModel, load_model, load_pretrained, save_pretrained

from tests.tiny import tiny_config

N_PATCHES = 16  # (32 / 8) ** 2


def tiny_hf_llava(tokenizer) -> LlavaForConditionalGeneration:
    torch.manual_seed(0)
    config = HFLlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                                       num_attention_heads=4, image_size=32, patch_size=8),
        text_config=LlamaConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                                num_key_value_heads=2, vocab_size=len(tokenizer), max_position_embeddings=256),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
        image_seq_length=N_PATCHES,
        vision_feature_layer=-2,
        vision_feature_select_strategy="default",
    )
    return LlavaForConditionalGeneration(config).eval()


def prompts(img: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Ours: one image token per image. transformers: the token repeated once per feature position."""
    ours = torch.tensor([[1, 20, 21, img, 22, 23, 24, 25], [1, 30, 31, img, 32, 33, 34, 35]])
    theirs = torch.tensor([[1, 20, 21] + [img] * N_PATCHES + [22, 23, 24, 25],
                           [1, 30, 31] + [img] * N_PATCHES + [32, 33, 34, 35]])
    return ours, theirs


def test_logits_match_transformers(tokenizer, tmp_path, pixels):
    hf = tiny_hf_llava(tokenizer)
    hf.save_pretrained(tmp_path)
    ours = load_model(tmp_path)
    assert ours.config.projector.type == "mlp2x_gelu" and ours.num_image_tokens == N_PATCHES
    ids, hf_ids = prompts(hf.config.image_token_index)
    with torch.no_grad():
        ref = hf(input_ids=hf_ids, pixel_values=pixels).logits
        out = ours(ids, pixels).logits
    assert out.shape == ref.shape
    assert (out - ref).abs().max() <= 1e-4


def test_our_save_loads_in_transformers(tokenizer, tmp_path, pixels, model):
    save_pretrained(model, tokenizer, tmp_path)
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == "llava" and config["image_token_index"] == model.config.image_token_id
    hf = LlavaForConditionalGeneration.from_pretrained(tmp_path).eval()
    ids, hf_ids = prompts(model.config.image_token_id)
    with torch.no_grad():
        assert (hf(input_ids=hf_ids, pixel_values=pixels).logits - model(ids, pixels).logits).abs().max() <= 1e-4


@pytest.mark.parametrize("projector", ["mlp2x_gelu", "linear", "linear+pos2d", "mlp2x_gelu+pos2d"])
def test_round_trip_identical_logits(tokenizer, tmp_path, pixels, projector):
    torch.manual_seed(0)
    model = LlavaModel.from_config(tiny_config(tokenizer, projector, image_aspect="pad")).eval()
    if projector.endswith("+pos2d"):
        with torch.no_grad():
            model.projector.position.normal_()  # trained values, not the sine-cosine initialisation
    save_pretrained(model, tokenizer, tmp_path)
    loaded, tok = load_pretrained(tmp_path)
    assert loaded.config == model.config
    assert tok("USER: a red cube").input_ids == tokenizer("USER: a red cube").input_ids
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["model_type"] == ("llava" if projector == "mlp2x_gelu" else "llava_ros")
    assert config["projector_type"] == projector
    ids, _ = prompts(model.config.image_token_id)
    with torch.no_grad():
        torch.testing.assert_close(loaded(ids, pixels).logits, model(ids, pixels).logits, rtol=0, atol=0)


def test_truncated_checkpoint_names_file(tokenizer, tmp_path, model):
    save_pretrained(model, tokenizer, tmp_path)
    weights = tmp_path / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"model\.safetensors: corrupt or truncated safetensors file"):
        load_model(tmp_path)


def test_pickle_only_folder_is_refused(tokenizer, tmp_path, model):
    save_pretrained(model, tokenizer, tmp_path)
    (tmp_path / "model.safetensors").rename(tmp_path / "pytorch_model.bin")
    with pytest.raises(FileNotFoundError, match=r"pytorch_model\.bin.*never unpickled"):
        load_model(tmp_path)
