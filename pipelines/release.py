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
from vigia.components.push import push
from vigia.pipelines.cluster import mount_model_store


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
        evidence: The kind's other register inputs (scores, card, reference, …).
    """
    registered = register_op(
        model=model,
        decision=decision,
        registered_name=registered_name,
        tracking_uri=tracking_uri,
        **evidence,
    )
    registered.set_display_name("register (challenger)")
    registered.set_caching_options(False)
    push_op = make_component(push, image)
    with dsl.If(approved == True, name="approved"):  # noqa: E712
        pushed = push_op(
            model=model,
            decision=decision,
            registered_name=registered_name,
            version=registered.outputs["Output"],
            store_root=store_root,
            tracking_uri=tracking_uri,
        )
        pushed.set_display_name("push (champion)")
        pushed.set_caching_options(False)
        mount_model_store(pushed)  # on a cluster: the model store bucket (store_root)
        yield pushed
