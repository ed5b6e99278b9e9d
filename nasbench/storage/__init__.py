"""Files on disk: atomic writes, the trial table's text, weights as safetensors, and the run folder."""
