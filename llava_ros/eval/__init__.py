"""Offline evaluation in two phases: predict (engine answers → ``.jsonl``), then score (→ Markdown,
JSON and PNG). Benchmarks are registered by name; see :mod:`llava_ros.eval.benchmarks`."""
