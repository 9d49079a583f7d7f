"""Fixtures for the model tests; the tiny builders live in tests/tiny.py."""

import pytest
import torch
from transformers import PreTrainedTokenizerFast

from llava_ros.model import LlavaModel
from tests.tiny import make_tokenizer, tiny_config


@pytest.fixture(scope="session")
def tokenizer() -> PreTrainedTokenizerFast:
    return make_tokenizer()


@pytest.fixture
def model(tokenizer) -> LlavaModel:
    torch.manual_seed(0)
    return LlavaModel.from_config(tiny_config(tokenizer)).eval()


@pytest.fixture
def pixels() -> torch.Tensor:
    torch.manual_seed(1)
    return torch.randn(2, 3, 32, 32)
