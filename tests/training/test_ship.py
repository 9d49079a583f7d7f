"""Shipping a run: the checkpoint is copied, loads, and the model card records what it should."""
import json

from llava_ros.model import load_pretrained
from tests.tiny import save_tiny_checkpoint
from training.ship import main, ship, stage_devices, training_hardware


def test_ship_copies_the_model_and_writes_its_card(tmp_path):
    run = tmp_path / "run"
    save_tiny_checkpoint(run / "stage2" / "final")
    for stage, elapsed in (("clip", 120.0), ("stage2", 600.0)):
        (run / stage).mkdir(parents=True, exist_ok=True)
        (run / stage / "metrics.jsonl").write_text(json.dumps({"step": 1, "elapsed_s": elapsed}) + "\n")
    (run / "eval_sim").mkdir()
    (run / "eval_sim" / "scores.md").write_text("# sim eval\n\n| metric | value |\n|---|---|\n| pope_f1 | 0.500 |\n")
    (run / "recipe.env").write_text("SEEDS=0:10 RUNS=run")
    out = ship(run, tmp_path / "shipped")
    model, tokenizer = load_pretrained(out)
    card = (out / "README.md").read_text()
    assert "| pope_f1 | 0.500 |" in card and "SEEDS=0:10 RUNS=run bash training/recipe.sh" in card
    assert "| stage2 | 10.0 min |" in card and "| llm | n/a |" in card
    assert f"| total | {sum(p.numel() for p in model.parameters()):,} |" in card


def test_ship_without_a_trained_run_names_the_problem(tmp_path, capsys):
    assert main(["--run", str(tmp_path / "nothing"), "--out", str(tmp_path / "o")]) == 2
    assert "holds no trained model" in capsys.readouterr().err


def test_ship_takes_the_last_grounding_stage(tmp_path):
    run = tmp_path / "run"
    save_tiny_checkpoint(run / "stage2" / "final")
    save_tiny_checkpoint(run / "grounding" / "final")
    (run / "grounding" / "metrics.jsonl").write_text(json.dumps({"step": 1, "elapsed_s": 300.0}) + "\n")
    (run / "stage2" / "final" / "model.safetensors").write_bytes(b"not the shipped stage")
    out = ship(run, tmp_path / "shipped")
    load_pretrained(out)
    assert (out / "model.safetensors").read_bytes() == (run / "grounding" / "final" / "model.safetensors").read_bytes()
    card = (out / "README.md").read_text()
    assert "| grounding | 5.0 min |" in card and "grounding_1obj" in card and "| grounding_1obj |" not in card
    assert "tower_tune" not in card


def test_ship_takes_the_tower_pass_after_the_grounding_stages(tmp_path):
    run = tmp_path / "run"
    for stage in ("stage2", "grounding_again", "tower_tune"):
        save_tiny_checkpoint(run / stage / "final", seed={"tower_tune": 1}.get(stage, 0))
    (run / "tower_tune" / "metrics.jsonl").write_text(json.dumps({"step": 1, "elapsed_s": 120.0}) + "\n")
    out = ship(run, tmp_path / "shipped")
    assert (out / "model.safetensors").read_bytes() == (run / "tower_tune" / "final" / "model.safetensors").read_bytes()
    card = (out / "README.md").read_text()
    assert "| tower_tune | 2.0 min |" in card and "trains the vision tower too" in card


def test_the_card_says_where_the_recipe_trained(tmp_path):
    run = tmp_path / "run"
    save_tiny_checkpoint(run / "stage2" / "final")
    (run / "recipe.env").write_text('SEEDS=0:10 TRAIN_SET="run.device=cuda data.num_workers=8"')
    gpu = (ship(run, tmp_path / "gpu") / "README.md").read_text()
    assert "two-stage recipe, on one CUDA GPU." in gpu and "| stage | wall time (one CUDA GPU) |" in gpu
    (run / "recipe.env").write_text('SEEDS=0:10 TRAIN_SET=""')
    cpu = (ship(run, tmp_path / "cpu") / "README.md").read_text()
    assert "on a 2-core CPU, shared." in cpu and "one CUDA GPU" not in cpu
    # The metrics' own device field wins over the recipe's words (run.device=auto, or a pass run elsewhere).
    (run / "stage2" / "metrics.jsonl").write_text(json.dumps({"step": 1, "elapsed_s": 60.0, "device": "cuda"}) + "\n")
    auto = (ship(run, tmp_path / "auto") / "README.md").read_text()
    assert "two-stage recipe, on one CUDA GPU." in auto
    (run / "tower_tune" / "final").mkdir(parents=True)
    (run / "tower_tune" / "metrics.jsonl").write_text(json.dumps({"step": 1, "elapsed_s": 60.0, "device": "cpu"}) + "\n")
    assert stage_devices(run) == {"cpu", "cuda"}
    assert training_hardware("", {"cpu", "cuda"}) == "one CUDA GPU and a 2-core CPU, shared"
