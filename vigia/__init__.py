"""Vigía: forecasting, risk scoring and resource allocation for public health, with MLOps."""

__version__ = "0.1.0"
