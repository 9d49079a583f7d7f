"""The default answer budget (``max_new_tokens``) of every entry point: the engines' settings, the node's
parameter, ``llava-ros ask`` and the OpenAI-compatible server; also the sim benchmark's budget and the
planner's for its listing questions.

A grounded answer names each object it rests on with its box (~25 tokens each). A count of every object
walks the four shapes' six colours (24 steps, "none" for each empty one) and boxes up to six objects: up to
272 tokens in the rules teacher's answers (docs/grounding.md, v51), so the budget leaves room for that.
"""
DEFAULT_MAX_NEW_TOKENS = 320
