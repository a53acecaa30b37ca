"""Forecasting and classification models."""
