"""One trainer for every stage (clip, llm, stage1, stage2); see ``trainer.py`` and ``training/configs/``."""
from training.train.config import TrainConfig, load_config
from training.train.stages import STAGES, Stage, get_stage, register_stage
from training.train.trainer import Trainer

__all__ = ["STAGES", "Stage", "TrainConfig", "Trainer", "get_stage", "load_config", "register_stage"]
