"""KServe glue around :mod:`vigia.servables`: one ``kserve.Model`` for every kind of Vigía model.

``python -m vigia.serving --model-dir DIR --model-name NAME`` (see :mod:`vigia.serving.server`)
and ``vigia serve`` start it; ``python -m vigia.serving.sink`` is the payload-log sink for
KServe's request logger on a cluster.
"""
