"""training.image_reliance: pairing with other scenes' images, the token split, and that the gain is the image's."""
import json

import numpy as np
import pytest
import torch
from PIL import Image

from llava_ros.model import ImageProcessor, LlavaModel
from tests.tiny import make_tokenizer, save_tiny_checkpoint, tiny_config
from training.image_reliance import image_reliance, main, number_token_mask, with_other_images
from training.train.collate import pad_collate
from training.train.datasets import ConversationDataset, ImageLoader


def record(i: int, image: str) -> dict:
    box = f"[0.{i + 1}2, 0.34, 0.5{i}, 0.78]"
    return {"id": f"r{i}", "image": image, "conversations": [
        {"from": "human", "value": "<image>\nWhere is the red cube?"},
        {"from": "gpt", "value": f"The red cube {box} is left of the table."}]}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("reliance")
    rng = np.random.default_rng(0)
    for name in ("a.png", "b.png", "c.png"):
        Image.fromarray(rng.integers(0, 255, (40, 40, 3), dtype=np.uint8)).save(folder / name)
    records = [record(i, image) for i, image in enumerate(["a.png", "a.png", "b.png", "c.png", "c.png"])]
    (folder / "data.json").write_text(json.dumps(records))
    return folder, records


def test_each_record_gets_the_next_different_image():
    records = [record(i, image) for i, image in enumerate(["a", "a", "b", "c", "c"])]
    assert [r["image"] for r in with_other_images(records)] == ["b", "b", "c", "a", "a"]
    assert [r["id"] for r in with_other_images(records)] == [r["id"] for r in records]
    with pytest.raises(ValueError, match="at least two different images"):
        with_other_images(records[:2])


def test_number_tokens_are_the_ones_with_digits():
    tok = make_tokenizer()
    mask = number_token_mask(tok)
    pieces = tok.convert_ids_to_tokens(list(range(len(tok))))
    assert mask.shape == (len(tok),) and bool(mask[tok.convert_tokens_to_ids("7")])
    assert not mask[tok.convert_tokens_to_ids("<image>")]
    assert {p for p, m in zip(pieces, mask.tolist()) if m} == {p for p in pieces if any(c.isdigit() for c in p)}


def test_groups_add_up_to_the_training_loss(data):
    folder, records = data
    tok = make_tokenizer()
    torch.manual_seed(0)
    model = LlavaModel.from_config(tiny_config(tok)).eval()
    report = image_reliance(model, tok, records, folder, batch_size=len(records), progress=False)
    dataset = ConversationDataset(records, tok, model.config.template, 1024,
                                  ImageLoader(folder, ImageProcessor(model.config.vision)), model.config.image_token_id)
    batch = pad_collate([dataset[i] for i in range(len(records))], tok.pad_token_id)
    with torch.no_grad():
        loss = model(**batch).loss.item()
    n = report["tokens"]
    mean = (report["right_image"]["number"] * n["number"] + report["right_image"]["text"] * n["text"]) / sum(n.values())
    assert n["number"] > 0 and n["text"] > 0
    assert mean == pytest.approx(loss, rel=1e-5)


def test_gain_is_zero_exactly_when_the_image_cannot_matter(data):
    folder, records = data
    tok = make_tokenizer()
    torch.manual_seed(0)
    model = LlavaModel.from_config(tiny_config(tok)).eval()
    seeing = image_reliance(model, tok, records, folder, progress=False)
    assert abs(seeing["gain"]["number"]) > 1e-6 and abs(seeing["gain"]["text"]) > 1e-6
    last = model.projector[-1]  # mlp2x_gelu: the Linear whose output is spliced into the LLM
    with torch.no_grad():
        last.weight.zero_()
        last.bias.zero_()
    blind = image_reliance(model, tok, records, folder, progress=False)
    assert blind["gain"] == {"number": 0.0, "text": 0.0}


def test_command_prints_the_table_and_writes_json(data, tmp_path, capsys):
    folder, _ = data
    checkpoint = save_tiny_checkpoint(tmp_path / "model")
    out = tmp_path / "reliance.json"
    assert main(["--model", str(checkpoint), "--data", str(folder / "data.json"), "--images", str(folder),
                 "--out", str(out), "--quiet"]) == 0
    assert "| number |" in capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["records"] == 5 and set(report["gain"]) == {"number", "text"}
    assert main(["--model", str(checkpoint), "--data", str(folder / "data.json"), "--records", "1"]) == 2
