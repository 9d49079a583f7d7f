"""Where benchmarks put what they measured: a JSON file (parents created), announced on stdout."""
from __future__ import annotations

import json
from pathlib import Path


def write_json(record: dict, path: str | Path) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return out
