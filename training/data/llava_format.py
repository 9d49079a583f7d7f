"""Read and write the original LLaVA training-data JSON format.

The format of LLaVA-Instruct-158K (``llava_instruct_150k.json``, ``detail_23k.json``, ...) and of
the stage-1 files LCS-558K (``blip_laion_cc_sbu_558k.json``) and CC-595K (``chat.json``): one JSON
list of records::

    [{"id": "000000033471",
      "image": "000000033471.jpg",                   # relative to the trainer's image folder
      "conversations": [
          {"from": "human", "value": "<image>\\nWhat are the colors of the bus in the image?"},
          {"from": "gpt", "value": "The bus in the image is white and red."},
          {"from": "human", "value": "What feature can be seen on the back of the bus?"},
          {"from": "gpt", "value": "The back of the bus features an advertisement."}]}]

Turns alternate ``human`` / ``gpt``, starting with ``human``. A record with an ``image`` has
exactly one ``<image>`` placeholder, in its first human turn: LLaVA-Instruct-158K writes it as a
``"<image>\\n"`` prefix, LCS-558K as a ``"\\n<image>"`` suffix (both are read; the original
``preprocess_multimodal`` moves it to the front either way). Text-only records have no ``image``
key and no placeholder. Other keys (some released mixes carry ``"model"``) are kept, not checked.
:func:`make_record` always writes the prefix form.
"""
from __future__ import annotations

import json
from pathlib import Path

IMAGE_TOKEN = "<image>"
ROLES = ("human", "gpt")


def make_record(record_id: str, image: str | None, turns: list[tuple[str, str]]) -> dict:
    """A validated record from ``(question, answer)`` pairs; the image placeholder goes first."""
    conversations = []
    for i, (question, answer) in enumerate(turns):
        if i == 0 and image is not None:
            question = f"{IMAGE_TOKEN}\n{question}"
        conversations += [{"from": "human", "value": question}, {"from": "gpt", "value": answer}]
    record = {"id": record_id, "image": image, "conversations": conversations}
    if image is None:
        del record["image"]
    validate_record(record)
    return record


def validate_record(record) -> None:
    """Raise ``ValueError`` naming the record id and the problem if ``record`` is malformed."""
    if not isinstance(record, dict):
        raise ValueError(f"record {record!r:.80} is a {type(record).__name__}, not an object")
    rid = record.get("id")
    if not isinstance(rid, (str, int)) or isinstance(rid, bool) or rid == "":
        raise ValueError(f"record {record!r:.80}: 'id' must be a non-empty string or integer, got {rid!r}")
    where = f"record {rid!r}"
    image = record.get("image")
    if "image" in record and (not isinstance(image, str) or not image):
        raise ValueError(f"{where}: 'image' must be a non-empty relative path, got {image!r}")
    turns = record.get("conversations")
    if not isinstance(turns, list) or not turns:
        raise ValueError(f"{where}: 'conversations' must be a non-empty list, got {turns!r:.80}")
    if len(turns) % 2:
        raise ValueError(f"{where}: {len(turns)} turns; human and gpt turns must come in pairs")
    for i, turn in enumerate(turns):
        expected = ROLES[i % 2]
        if not isinstance(turn, dict) or set(turn) != {"from", "value"}:
            raise ValueError(f"{where}: turn {i} must be {{'from', 'value'}}, got {turn!r:.80}")
        if turn["from"] != expected:
            raise ValueError(f"{where}: turn {i} is from {turn['from']!r}, expected {expected!r}")
        if not isinstance(turn["value"], str) or not turn["value"].strip():
            raise ValueError(f"{where}: turn {i} ({expected}) has an empty or non-string value")
    _check_placeholder(where, image, [t["value"] for t in turns])


def _check_placeholder(where: str, image: str | None, values: list[str]) -> None:
    counts = [v.count(IMAGE_TOKEN) for v in values]
    if image is None:
        if sum(counts):
            raise ValueError(f"{where}: has {IMAGE_TOKEN} but no 'image'")
        return
    if counts[0] != 1 or sum(counts) != 1:
        raise ValueError(f"{where}: needs exactly one {IMAGE_TOKEN}, in the first human turn; "
                         f"found {counts[0]} there and {sum(counts) - counts[0]} in later turns")
    first = values[0]
    if not (first.startswith(IMAGE_TOKEN + "\n") or first.endswith("\n" + IMAGE_TOKEN)):
        raise ValueError(f"{where}: {IMAGE_TOKEN} must open the first turn as '{IMAGE_TOKEN}\\n...' "
                         f"or close it as '...\\n{IMAGE_TOKEN}', got {first!r:.80}")


def validate_records(records, unique_ids: bool = False) -> None:
    """Validate a whole data set (a list); optionally require unique ids."""
    if not isinstance(records, list):
        raise ValueError(f"LLaVA data must be a JSON list of records, got {type(records).__name__}")
    seen: set = set()
    for record in records:
        validate_record(record)
        if unique_ids:
            if record["id"] in seen:
                raise ValueError(f"record {record['id']!r}: duplicate id")
            seen.add(record["id"])


def read_llava_json(path: str | Path) -> list[dict]:
    """Load and validate a LLaVA data file; errors name the file and the record."""
    path = Path(path)
    records = json.loads(path.read_text(encoding="utf-8"))
    try:
        validate_records(records)
    except ValueError as err:
        raise ValueError(f"{path}: {err}") from err
    return records


def write_llava_json(path: str | Path, records: list[dict]) -> Path:
    """Validate (ids must be unique) and write ``records``; returns the path."""
    validate_records(records, unique_ids=True)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(records, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def question_text(value: str) -> str:
    """A human turn without its image placeholder (either form)."""
    return value.replace(IMAGE_TOKEN + "\n", "").replace("\n" + IMAGE_TOKEN, "").strip()
