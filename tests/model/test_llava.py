import pytest
import torch

from llava_ros.model import IGNORE_INDEX, LlavaConfig


def test_one_image_token_expands_to_features(model, pixels):
    img = model.config.image_token_id
    ids = torch.tensor([[1, 20, 21, img, 22, 23]])
    labels = torch.tensor([[IGNORE_INDEX, 20, 21, img, 22, 23]])
    with torch.no_grad():
        spliced = model.splice(ids, pixels[:1], labels=labels)
        features = model.encode_images(pixels[:1])[0]
        text = model.llm.get_input_embeddings()(ids)
    n = model.num_image_tokens
    assert spliced.inputs_embeds.shape == (1, 6 - 1 + n, 32)
    torch.testing.assert_close(spliced.inputs_embeds[0, 3:3 + n], features)
    torch.testing.assert_close(spliced.inputs_embeds[0, :3], text[0, :3])
    torch.testing.assert_close(spliced.inputs_embeds[0, 3 + n:], text[0, 4:])
    assert spliced.labels[0].tolist() == [IGNORE_INDEX, 20, 21] + [IGNORE_INDEX] * n + [22, 23]
    assert spliced.attention_mask.all()


def test_batch_with_several_images_and_padding(model, pixels):
    """Sample 0 holds two images, sample 1 none and left padding; images are consumed in order."""
    img, pad = model.config.image_token_id, 3
    ids = torch.tensor([[1, img, 20, img, 21], [pad, pad, 1, 22, 23]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [0, 0, 1, 1, 1]])
    out = model(ids, pixels, attention_mask=mask, labels=ids.masked_fill(mask == 0, IGNORE_INDEX))
    n = model.num_image_tokens
    assert out.logits.shape == (2, 3 + 2 * n, model.llm.config.vocab_size)
    assert out.attention_mask.sum(1).tolist() == [3 + 2 * n, 3]
    assert (out.labels[1, 3:] == IGNORE_INDEX).all()
    assert torch.isfinite(out.loss)
    out.loss.backward()
    assert model.projector[0].weight.grad is not None and model.vision.clip.embeddings.patch_embedding.weight.grad is not None
    # the image-free sample gives the same logits as running it alone, unpadded
    with torch.no_grad():
        alone = model(ids[1:, 2:]).logits
    torch.testing.assert_close(out.logits[1, :3], alone[0], atol=1e-5, rtol=0)
    # the second image's features sit after the first image's block and one text token
    with torch.no_grad():
        spliced = model.splice(ids, pixels, attention_mask=mask)
        torch.testing.assert_close(spliced.inputs_embeds[0, 2 + n:2 + 2 * n], model.encode_images(pixels)[1])


def test_image_count_mismatch_names_both_counts(model, pixels):
    img = model.config.image_token_id
    with pytest.raises(ValueError, match=r"hold 1 image tokens .* but 2 images were given"):
        model(torch.tensor([[1, img, 20]]), pixels)
    with pytest.raises(ValueError, match=r"hold 2 image tokens .* but 0 images were given"):
        model(torch.tensor([[1, img, img]]))


def test_text_only_forward(model):
    ids = torch.tensor([[1, 20, 21, 22]])
    out = model(ids, labels=ids)
    with torch.no_grad():
        ref = model.llm(input_ids=ids, labels=ids)
    torch.testing.assert_close(out.logits, ref.logits)
    torch.testing.assert_close(out.loss, ref.loss)


def test_config_json_round_trip(model, tmp_path):
    model.config.save_json(tmp_path / "llava.json")
    assert LlavaConfig.load_json(tmp_path / "llava.json") == model.config
    with pytest.raises(ValueError, match=r"unknown LlavaConfig keys: \['colour'\]"):
        LlavaConfig.from_dict({"colour": 1})
