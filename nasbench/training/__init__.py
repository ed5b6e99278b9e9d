"""Real training of candidates: datasets, the training loop, and the training evaluator."""
