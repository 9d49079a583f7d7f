"""OpenAI-compatible serving of any engine (`llava-ros serve`); standard library HTTP."""
