"""Monitoring of the live forecaster: data and prediction drift against its training snapshot,
performance of its past forecasts against the counts that arrived, and the decision — nothing,
warn or retrain — with reports for ops (Evidently UI) and health officials (docs/monitoring.md).

Modules: ``config`` (thresholds), ``window`` (the payload log as tables), ``reference`` (the live
version and its reference data, through the registry's lineage), ``drift``, ``performance``,
``decision``, ``check`` (one check), ``publish`` / ``reports`` / ``evidently_project`` /
``metrics`` (its outputs), ``runner`` (all of it in one process), ``replay`` (client side of
``vigia replay``). Evidently and MLflow are imported only inside the functions that need them.
"""
