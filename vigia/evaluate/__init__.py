"""Metrics, backtests and approval gates."""
