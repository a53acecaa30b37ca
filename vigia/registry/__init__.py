"""Experiment tracking, the model registry (MLflow) and the versioned model store."""
