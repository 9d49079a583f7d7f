"""Load a checkpoint written in the original haotian-liu/LLaVA layout (`LlavaLlamaForCausalLM`)."""

import json

import pytest
import torch
from safetensors.torch import save_file

from llava_ros.model import IMAGE_TOKEN_INDEX, LlavaModel, load_pretrained

from tests.tiny import tiny_config


def write_original(model: LlavaModel, tokenizer, folder, clip_folder, projector: str) -> None:
    """What the original's save gives: a Llama config + mm_* keys; model.* / lm_head.* / model.mm_projector.*."""
    folder.mkdir()
    llama = model.llm.config.to_dict()
    config = {k: v for k, v in llama.items() if k not in ("architectures", "transformers_version", "dtype")}
    config.update({
        "architectures": ["LlavaLlamaForCausalLM"], "model_type": "llava_llama",
        "mm_vision_tower": "openai/clip-vit-large-patch14-336", "mm_hidden_size": 32,
        "mm_vision_select_layer": -2, "mm_vision_select_feature": "patch", "mm_use_im_start_end": False,
        "mm_use_im_patch_token": False, "image_aspect_ratio": "pad", "tune_mm_mlp_adapter": False,
        "freeze_mm_mlp_adapter": False, "use_mm_proj": True, "torch_dtype": "float32",
    })
    if projector != "linear":  # the original's default when the key is absent
        config["mm_projector_type"] = projector
    (folder / "config.json").write_text(json.dumps(config))
    state = {k: v.clone() for k, v in model.llm.state_dict().items()}  # model.* and lm_head.weight
    state.update({f"model.mm_projector.{k}": v.clone() for k, v in model.projector.state_dict().items()})
    # saved but unused by the original loader (the tower reloads from mm_vision_tower)
    state["model.vision_tower.vision_tower.vision_model.post_layernorm.weight"] = torch.zeros(32)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    tokenizer.save_pretrained(str(folder))
    model.vision.clip.save_pretrained(clip_folder)


@pytest.mark.parametrize("projector", ["linear", "mlp2x_gelu"])
def test_original_layout_loads_with_same_logits(tokenizer, tmp_path, pixels, projector):
    torch.manual_seed(0)
    source = LlavaModel.from_config(tiny_config(tokenizer, projector)).eval()
    write_original(source, tokenizer, tmp_path / "llava", tmp_path / "clip", projector)
    loaded, tok = load_pretrained(tmp_path / "llava", vision_tower_path=tmp_path / "clip")
    assert loaded.config.image_token_id == IMAGE_TOKEN_INDEX == -200
    assert loaded.config.projector.type == projector and loaded.config.vision.image_aspect == "pad"
    assert tok.bos_token_id == tokenizer.bos_token_id
    img = source.config.image_token_id
    ids = torch.tensor([[1, 20, 21, img, 22, 23]])
    with torch.no_grad():
        ref = source(ids, pixels[:1]).logits
        out = loaded(ids.masked_fill(ids == img, IMAGE_TOKEN_INDEX), pixels[:1]).logits
    torch.testing.assert_close(out, ref, rtol=0, atol=0)


def test_original_layout_needs_local_tower(tokenizer, tmp_path):
    torch.manual_seed(0)
    source = LlavaModel.from_config(tiny_config(tokenizer, "linear")).eval()
    write_original(source, tokenizer, tmp_path / "llava", tmp_path / "clip", "linear")
    with pytest.raises(ValueError, match="'openai/clip-vit-large-patch14-336' is not a local folder"):
        load_pretrained(tmp_path / "llava")
