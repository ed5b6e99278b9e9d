"""nasbench: neural architecture search and model scaling."""

__version__ = "0.1.0"
