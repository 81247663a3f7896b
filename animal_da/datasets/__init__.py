"""Datasets, transforms and the synthetic animal generator."""
from . import synthetic  # noqa: F401
