"""Whole jobs as Python functions with typed arguments (installed as ``vigia.workflows``).

Training, retraining and replays run pipelines (:mod:`vigia.pipelines`) and local model servers
(:mod:`vigia.serving.process`). The CLI, the monitoring pipeline's retrain step, tests and
benchmarks call these functions alike; the CLI only turns its options into their arguments and
prints what they return. The domain (``vigia/*``) never imports them.
"""
