"""Conversation templates: prompt strings exactly as haotian-liu/LLaVA `llava/conversation.py`.

Only the two separator styles LLaVA training uses are ported:

- `TWO` (`vicuna_v1`, `llava_v1`): "{system} USER: {q} ASSISTANT: {a}</s>USER: ..."
  (`sep` " " after user turns, `sep2` "</s>" after assistant turns; an empty
  message leaves a bare "ROLE:" for the model to continue).
- `PLAIN` (`plain`, stage-1 feature alignment): messages concatenated, each
  followed by `sep` "\\n"; no system prompt, no roles.

Note the original's two v1 system prompts: `vicuna_v1` (what LLaVA-1.5's
`--version v1` training and `--conv-mode vicuna_v1` evaluation use) says
"curious user ... the user's questions"; `llava_v1` says "curious human ...
the human's questions". Both are reproduced verbatim.

Differences from the original, on purpose: messages are plain strings (the
original's (text, PIL image, mode) tuples are a Gradio-demo concern; put the
image token in the text yourself, `"<image>\\n" + question` as LLaVA does), and
PLAIN with `sep2=None` treats it as "" where the original would raise TypeError.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from enum import Enum, auto


class SeparatorStyle(Enum):
    TWO = auto()
    PLAIN = auto()


@dataclass
class Conversation:
    system: str
    roles: tuple[str, str]
    sep_style: SeparatorStyle
    sep: str
    sep2: str | None = None
    version: str = "Unknown"
    messages: list[list[str | None]] = field(default_factory=list)

    def append_message(self, role: str, message: str | None) -> None:
        if role not in self.roles:
            raise ValueError(f"role {role!r} is not one of {self.roles}")
        self.messages.append([role, message])

    def get_prompt(self) -> str:
        if self.sep_style == SeparatorStyle.TWO:
            seps = [self.sep, self.sep2]
            ret = self.system + seps[0]
            for i, (role, message) in enumerate(self.messages):
                if message:
                    ret += role + ": " + message + seps[i % 2]
                else:
                    ret += role + ":"
            return ret
        if self.sep_style == SeparatorStyle.PLAIN:
            seps = [self.sep, self.sep2 or ""]
            ret = self.system
            for i, (role, message) in enumerate(self.messages):
                if message:
                    ret += message + seps[i % 2]
            return ret
        raise ValueError(f"invalid separator style: {self.sep_style}")

    @property
    def stop_str(self) -> str:
        """Where generation should stop (the original's `conv.sep2` for TWO, else `conv.sep`)."""
        return self.sep2 if self.sep_style == SeparatorStyle.TWO else self.sep

    def copy(self) -> Conversation:
        return dataclasses.replace(self, messages=[list(m) for m in self.messages])


TEMPLATES: dict[str, Conversation] = {
    "vicuna_v1": Conversation(
        system="A chat between a curious user and an artificial intelligence assistant. "
        "The assistant gives helpful, detailed, and polite answers to the user's questions.",
        roles=("USER", "ASSISTANT"),
        version="v1",
        sep_style=SeparatorStyle.TWO,
        sep=" ",
        sep2="</s>",
    ),
    "llava_v1": Conversation(
        system="A chat between a curious human and an artificial intelligence assistant. "
        "The assistant gives helpful, detailed, and polite answers to the human's questions.",
        roles=("USER", "ASSISTANT"),
        version="v1",
        sep_style=SeparatorStyle.TWO,
        sep=" ",
        sep2="</s>",
    ),
    "plain": Conversation(
        system="",
        roles=("", ""),
        version="plain",
        sep_style=SeparatorStyle.PLAIN,
        sep="\n",
    ),
}


def get_template(name: str) -> Conversation:
    """A fresh, empty copy of the named template."""
    if name not in TEMPLATES:
        raise ValueError(f"unknown conversation template {name!r}; known: {sorted(TEMPLATES)}")
    return TEMPLATES[name].copy()


def build_prompt(question: str, template: str = "vicuna_v1", image_token: str | None = "<image>") -> str:
    """Single-turn inference prompt, as the original's `run_llava.py` / `model_vqa.py` build it."""
    conv = get_template(template)
    if image_token is not None and image_token not in question:
        question = image_token + "\n" + question
    conv.append_message(conv.roles[0], question)
    conv.append_message(conv.roles[1], None)
    return conv.get_prompt()
