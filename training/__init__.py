"""Training: instruction-data generation (``training.data``), configs and the trainer."""
