"""ScienceQA on a small hand-written folder in its own format (problems.json, pid_splits.json, images/)."""
import json

import numpy as np
import pytest
from PIL import Image

from llava_ros.eval.benchmarks import get_benchmark
from llava_ros.eval.benchmarks.scienceqa import build_prompt, extract_letter

PROBLEMS = {
    "5": {"question": "Which figure of speech is used in this text?\nThe fog crept in on little cat feet.",
          "choices": ["simile", "personification"], "answer": 1, "hint": "", "image": None, "task": "closed choice",
          "grade": "grade8", "subject": "language science", "topic": "figurative-language", "category": "Literary devices",
          "skill": "Classify the figure of speech", "lecture": "", "solution": "", "split": "test"},
    "9": {"question": "Which of these states is farthest north?", "choices": ["Maine", "Florida", "Texas", "Ohio"],
          "answer": 0, "hint": "", "image": "image.png", "task": "closed choice", "grade": "grade4",
          "subject": "social science", "topic": "geography", "category": "Geography", "skill": "Read a map",
          "lecture": "", "solution": "", "split": "test"},
    "12": {"question": "Which property do these two objects have in common?", "choices": ["hard", "sticky", "bendable"],
           "answer": 2, "hint": "Select the best answer.", "image": None, "task": "closed choice", "grade": "grade2",
           "subject": "natural science", "topic": "physics", "category": "Materials", "skill": "Compare properties",
           "lecture": "", "solution": "", "split": "test"},
    "20": {"question": "What is the mass of a pencil?", "choices": ["10 grams", "10 kilograms"], "answer": 0,
           "hint": "Select the better estimate.", "image": None, "task": "closed choice", "grade": "grade10",
           "subject": "natural science", "topic": "units", "category": "Estimation", "skill": "Estimate mass",
           "lecture": "", "solution": "", "split": "test"},
    "31": {"question": "Is a hammer a good or a service?", "choices": ["a service", "a good"], "answer": 1, "hint": "",
           "image": None, "task": "yes or no", "grade": "grade3", "subject": "social science", "topic": "economics",
           "category": "Goods and services", "skill": "Identify", "lecture": "", "solution": "", "split": "test"},
    "40": {"question": "Which word would you find on a dictionary page?", "choices": ["bat", "zoo"], "answer": 0,
           "hint": "", "image": None, "task": "closed choice", "grade": "grade2", "subject": "language science",
           "topic": "reference-skills", "category": "Dictionary", "skill": "Guide words", "lecture": "", "solution": "",
           "split": "train"},
}


@pytest.fixture()
def data(tmp_path):
    (tmp_path / "problems.json").write_text(json.dumps(PROBLEMS))
    (tmp_path / "pid_splits.json").write_text(json.dumps({"train": ["40"], "val": [], "test": ["5", "9", "12", "20", "31"]}))
    (tmp_path / "images" / "test" / "9").mkdir(parents=True)
    Image.fromarray(np.full((24, 24, 3), 200, np.uint8)).save(tmp_path / "images" / "test" / "9" / "image.png")
    return tmp_path


def test_prompts_are_built_as_llava_builds_them():
    assert build_prompt(PROBLEMS["12"]) == ("Context: Select the best answer.\n"
                                            "Which property do these two objects have in common?\n"
                                            "A. hard\nB. sticky\nC. bendable\n"
                                            "Answer with the option's letter from the given choices directly.")
    assert build_prompt(PROBLEMS["31"]).startswith("Is a hammer a good or a service?\nA. a service\nB. a good\n")


def test_items_cover_the_test_split_with_the_image(data):
    items = get_benchmark("scienceqa")(data).items()
    assert [i["id"] for i in items] == ["5", "9", "12", "20", "31"]
    with_image = [i for i in items if i["image"]]
    assert [i["id"] for i in with_image] == ["9"] and with_image[0]["image"].endswith("images/test/9/image.png")
    assert [i["answer_letter"] for i in items] == ["B", "A", "C", "A", "B"]


def test_missing_image_is_a_clear_error(data):
    (data / "images" / "test" / "9" / "image.png").unlink()
    with pytest.raises(FileNotFoundError, match="problem 9"):
        get_benchmark("scienceqa")(data).items()


@pytest.mark.parametrize("answer, n, letter, lenient", [
    ("B", 4, "B", "B"), ("The answer is B.", 4, "B", "B"), ("A. Maine is north.", 4, "A", "A"),
    ("Reasoning...\nThe answer is C", 4, "C", "C"), ("(C)", 4, None, "C"), ("C)", 4, None, "C"),
    ("B.", 4, None, "B"), ("Answer: D", 4, None, "D"), ("E", 3, None, None), ("I think maine", 4, None, None),
])
def test_letter_extraction(answer, n, letter, lenient):
    assert extract_letter(answer, n) == letter  # llava/eval/eval_science_qa.py
    assert extract_letter(answer, n, lenient=True) == lenient


def test_perfect_and_wrong_answers(data):
    bench = get_benchmark("scienceqa")
    items = bench(data).items()
    perfect = bench.score([{**i, "answer": i["answer_letter"]} for i in items])
    m = perfect["metrics"]
    for name in ("accuracy", "natural", "social", "language", "text_context", "image_context", "no_context",
                 "grades_1_6", "grades_7_12"):
        assert m[name] == 1.0, name
    assert perfect["counts"] == {"n_questions": 5, "n_natural": 2, "n_social": 2, "n_language": 1, "n_text_context": 2,
                                 "n_image_context": 1, "n_no_context": 2, "n_grades_1_6": 3, "n_grades_7_12": 2}
    assert perfect["paper"]["accuracy"]["value"] == pytest.approx(0.9092)
    wrong = bench.score([{**i, "answer": "The answer is " + ("B" if i["answer_letter"] == "A" else "A") + "."} for i in items])
    assert wrong["metrics"]["accuracy"] == 0.0 and wrong["metrics"]["unparsed_rate"] == 0.0
