"""The fit probe: eval sim's questions on rendered training scenes, answered by a real tiny model."""
import json
import re

from llava_ros.eval.predict import read_jsonl
from tests.tiny import save_tiny_checkpoint
from training.probe_fit import COUNTED, counted, fit_items, main as probe_main


def test_counted_names_what_each_counting_question_counts(tmp_path):
    items = [i for i in fit_items(range(0, 12), tmp_path, progress=False) if i["family"] == "count"]
    seen = set()
    for item in items:
        kind = counted(item["fact"])
        word = item["fact"].get(kind) if kind != "all" else None
        assert word is None or re.search(rf"\b{word}", item["prompt"]), item["prompt"]
        assert kind != "all" or not (item["fact"].get("colour") or item["fact"].get("shape")), item
        seen.add(kind)
    assert seen == set(COUNTED)


def test_probe_answers_every_question_and_splits_counting(tmp_path, capsys):
    model, out = save_tiny_checkpoint(tmp_path / "tiny"), tmp_path / "fit"
    assert probe_main(["--model", str(model), "--seeds", "0:3", "--out", str(out), "--max-new-tokens", "4",
                       "--quiet"]) == 0
    items, predictions = read_jsonl(out / "items.jsonl"), read_jsonl(out / "predictions.jsonl")
    assert {i["seed"] for i in items} == {0, 1, 2} and len(predictions) == len(items)
    assert all((out / "images" / f"{seed}.png").is_file() for seed in (0, 1, 2))
    scores = json.loads((out / "scores.json").read_text())
    n_count = sum(scores["counts"][f"n_count_{kind}"] for kind in COUNTED)
    assert n_count == scores["counts"]["n_count"] == sum(i["family"] == "count" for i in items)
    assert scores["goals"] == {} and "counting_all" in scores["metrics"]
    assert "training scenes 0:3" in capsys.readouterr().out and (out / "scores.png").is_file()


def test_probe_refuses_held_out_seeds_and_another_models_run(tmp_path, capsys):
    model = save_tiny_checkpoint(tmp_path / "tiny")
    assert probe_main(["--model", str(model), "--seeds", "1000000000:1000000002", "--out", str(tmp_path / "h")]) == 2
    assert "may not be used for training" in capsys.readouterr().err and not (tmp_path / "h").exists()
    out = tmp_path / "fit"
    args = ["--seeds", "0:1", "--out", str(out), "--max-new-tokens", "2", "--quiet"]
    assert probe_main(["--model", str(model), *args]) == 0
    other = save_tiny_checkpoint(tmp_path / "other", seed=1)
    assert probe_main(["--model", str(other), *args]) == 2
    assert "another model" in capsys.readouterr().err
    assert probe_main(["--model", str(model), *args[:1], "0:2", *args[2:]]) == 2
    assert "other seeds" in capsys.readouterr().err
