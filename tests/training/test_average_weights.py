"""Weight averaging: the output holds the mean of every parameter, and only like checkpoints average."""
import json

import torch

from llava_ros.model import load_pretrained
from tests.tiny import save_tiny_checkpoint
from training.average_weights import average_models, main as average_main


def test_every_parameter_of_the_output_is_the_mean_of_the_inputs(tmp_path):
    folders = [save_tiny_checkpoint(tmp_path / f"m{seed}", seed=seed) for seed in (0, 1, 2)]
    out = tmp_path / "soup"
    assert average_main(["--models", *map(str, folders), "--out", str(out)]) == 0
    soup, _ = load_pretrained(out)
    states = [load_pretrained(f)[0].state_dict() for f in folders]
    for key, value in soup.state_dict().items():
        expected = torch.stack([s[key].float() for s in states]).mean(0)
        assert torch.allclose(value.float(), expected, atol=1e-6), key
    assert not torch.equal(states[0]["llm.lm_head.weight"], states[1]["llm.lm_head.weight"])

    ids = torch.tensor([[1, soup.config.image_token_id, *range(10, 30)]])
    pixels = torch.randn(1, 3, 32, 32)
    with torch.no_grad():  # a model averaged with itself computes what it did
        one, _ = load_pretrained(folders[0])
        same = average_models([load_pretrained(folders[0])[0], load_pretrained(folders[0])[0]])
        assert torch.equal(one(input_ids=ids, pixel_values=pixels).logits,
                           same(input_ids=ids, pixel_values=pixels).logits)


def test_unlike_checkpoints_and_single_models_are_refused(tmp_path, capsys):
    a = save_tiny_checkpoint(tmp_path / "a")
    b = save_tiny_checkpoint(tmp_path / "b", projector="linear")
    assert average_main(["--models", str(a), str(b), "--out", str(tmp_path / "out")]) == 2
    assert "another config" in capsys.readouterr().err
    assert average_main(["--models", str(a), "--out", str(tmp_path / "out")]) == 2
    assert "at least two models" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()

    c = save_tiny_checkpoint(tmp_path / "c", seed=1)
    vocab = json.loads((c / "tokenizer.json").read_text())
    vocab["model"]["vocab"]["zz"] = vocab["model"]["vocab"].pop(next(k for k in vocab["model"]["vocab"] if len(k) > 2))
    (c / "tokenizer.json").write_text(json.dumps(vocab))
    assert average_main(["--models", str(a), str(c), "--out", str(tmp_path / "out")]) == 2
    assert "another tokenizer" in capsys.readouterr().err
