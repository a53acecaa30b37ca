"""The domain side of serving: what a served model accepts, predicts and logs.

A :class:`~vigia.servables.base.Servable` is built from a model bundle folder and knows nothing
about KServe: it declares its V2 inputs and outputs, validates V1 instances and V2 tensors into
model input (raising :class:`~vigia.servables.errors.InvalidRequest` naming the field), predicts,
and produces V1 predictions, V2 output tensors and payload-log rows. ``vigia.serving`` is the
thin KServe glue around it. :func:`~vigia.servables.kinds.load_servable` picks the class from
the bundle manifest's ``kind``.
"""
