"""Benchmarks: each prints a table and writes JSON under bench/results/. Run as `python -m bench.<name>`."""
