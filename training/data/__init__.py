"""Instruction data: the box syntax, the LLaVA JSON format, teachers and the generator.

    python -m training.data.generate --seeds 0:1000 --out data/sim
"""
