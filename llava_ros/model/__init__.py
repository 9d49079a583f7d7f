"""LLaVA model core: vision tower, projector registry, assembly, templates, checkpoints.

No ROS imports here; `llava_ros.ros` adapts this to topics and services.
"""

from .checkpoint import load_model, load_pretrained, load_tokenizer, save_pretrained
from .config import IGNORE_INDEX, IMAGE_TOKEN_INDEX, LlavaConfig, ProjectorConfig, TextConfig, VisionConfig
from .conversation import Conversation, build_prompt, get_template
from .generate import GenerationConfig, GenerationResult, generate
from .image_processing import ImageProcessor
from .llava import LlavaModel, LlavaOutput
from .projector import build_projector, register_projector
from .tokenization import TokenizationMismatchError, preprocess, tokenizer_image_token
from .vision import VisionTower

__all__ = [
    "IGNORE_INDEX", "IMAGE_TOKEN_INDEX", "Conversation", "GenerationConfig", "GenerationResult", "ImageProcessor",
    "LlavaConfig", "LlavaModel", "LlavaOutput", "ProjectorConfig", "TextConfig", "TokenizationMismatchError",
    "VisionConfig", "VisionTower", "build_projector", "build_prompt", "generate", "get_template", "load_model",
    "load_pretrained", "load_tokenizer", "preprocess", "register_projector", "save_pretrained",
    "tokenizer_image_token",
]
