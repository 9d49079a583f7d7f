"""The default answer budget (``max_new_tokens``) of every entry point: the engines' settings, the node's
parameter, ``llava-ros ask`` and the OpenAI-compatible server.

A grounded answer names each object it rests on with its box (~25 tokens each); counting six objects
takes about 132 tokens (docs/grounding.md, v14), so the budget leaves room for that and the verdict.
"""
DEFAULT_MAX_NEW_TOKENS = 160
