"""Register → [approved] push: the release block every training pipeline ends with.

One definition for every model kind: the kind brings its own register component (what it logs
to MLflow differs), the push step is shared (``components/push.py`` refuses anything the gate
did not approve). Used inside a pipeline function::

    with register_and_push(image, register_op, approved=evaluated.outputs["Output"], ...) as pushed:
        ...  # steps that run only after an approved push (e.g. the dashboard)
"""

# (no `from __future__ import annotations`: this module is imported by pipeline definitions)

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kfp import dsl

from vigia.components import make_component
from vigia.components.promote import promote
from vigia.components.push import push
from vigia.pipelines.cluster import mount_model_store, step


@contextmanager
def register_and_push(
    image: str,
    register_op: Any,
    *,
    approved: Any,
    model: Any,
    decision: Any,
    registered_name: Any,
    store_root: Any,
    tracking_uri: Any,
    serving_namespace: Any = "",
    prometheus_url: Any = "",
    canary_percent: Any = 100,
    **evidence: Any,
) -> Iterator[Any]:
    """Register the candidate (alias ``challenger``, tagged approved or not), then, only when
    ``approved`` (the evaluate step's single ``Output``) is true, push it to the model store and
    make it champion. The block under ``with`` runs inside the approved branch; it receives the
    push task.

    Args:
        image: The project image the push step runs in.
        register_op: The kind's register component (returns the registered version).
        approved: The gate's verdict (``dsl.If`` needs a single-output component's ``Output``).
        model, decision: The candidate bundle and the gate decision artifacts.
        serving_namespace, prometheus_url, canary_percent: On a cluster, the push sends the
            version to ``canary_percent`` % of the InferenceServices' requests and the promote
            step judges it from Prometheus (empty namespace: kfp.local, promote does nothing).
        evidence: The kind's other register inputs (scores, card, reference, …).

    The block receives the last release task (promote): what follows runs on the outcome.
    """
    registered = register_op(
        model=model,
        decision=decision,
        registered_name=registered_name,
        tracking_uri=tracking_uri,
        **evidence,
    )
    step(registered, "register (challenger)", cache=False)
    push_op = make_component(push, image)
    promote_op = make_component(promote, image)
    with dsl.If(approved == True, name="approved"):  # noqa: E712
        pushed = push_op(
            model=model,
            decision=decision,
            registered_name=registered_name,
            version=registered.outputs["Output"],
            store_root=store_root,
            tracking_uri=tracking_uri,
            serving_namespace=serving_namespace,
            canary_percent=canary_percent,
        )
        step(pushed, "push (champion)", cache=False)
        mount_model_store(pushed)  # on a cluster: the model store bucket (store_root)
        promoted = promote_op(
            registered_name=registered_name,
            version=registered.outputs["Output"],
            serving_namespace=serving_namespace,
            prometheus_url=prometheus_url,
            store_root=store_root,
            tracking_uri=tracking_uri,
        ).after(pushed)
        step(promoted, "promote canary (cluster)", cache=False)
        mount_model_store(promoted)  # a roll back moves the store's CURRENT
        yield promoted
