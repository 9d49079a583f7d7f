"""Teachers turn a scene's symbolic ground truth into instruction data, chosen by registered name.

- ``rules`` (default): deterministic, offline, true to ground truth by construction.
- ``openai``: any OpenAI-compatible chat-completions endpoint, prompted as the paper prompted GPT-4.
"""
from training.data.teachers.base import KINDS, STAGE_OF_KIND, Teacher, Turn, check_kind
from training.data.teachers.registry import get, names, register

# Importing the implementations registers them.
from training.data.teachers import openai_chat, rules  # noqa: E402,F401

__all__ = ["KINDS", "STAGE_OF_KIND", "Teacher", "Turn", "check_kind", "get", "names", "register"]
