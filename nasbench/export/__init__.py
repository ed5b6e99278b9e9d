"""Found architectures as standalone PyTorch modules: model.py, weights.pt, arch.json."""

from nasbench.export.exporter import FORMATS, export_architecture, load_exported
from nasbench.export.from_run import export_trial

__all__ = ["FORMATS", "export_architecture", "export_trial", "load_exported"]
