"""Every task of every compiled pipeline (``pipelines/compiled/*.yaml``, what a cluster runs) has
CPU and memory requests and limits and retries for transient failures — none runs BestEffort —
and the compiled files are what the pipeline definitions compile to now. A local run leaves the
retries out (a step failing on bad input would otherwise wait 90 s to fail twice more)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from vigia.images import image_ref
from vigia.pipelines.cluster import RETRIES, TASK_RESOURCES
from vigia.pipelines.compile import compile_all
from vigia.pipelines.local import without_retries
from vigia.pipelines.training import create_training_pipeline

ROOT = Path(__file__).resolve().parents[2]
COMPILED = sorted((ROOT / "pipelines" / "compiled").glob("*.yaml"))


def dag_tasks(spec: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(name, task) of every container task, inside conditions and loops too."""
    dags = [spec["root"]["dag"]] + [c["dag"] for c in spec["components"].values() if "dag" in c]
    for dag in dags:
        for name, task in dag["tasks"].items():
            component = spec["components"][task["componentRef"]["name"]]
            if "executorLabel" in component:
                yield name, task


@pytest.mark.parametrize("path", COMPILED, ids=[p.stem for p in COMPILED])
def test_every_task_has_requests_limits_and_retries(path: Path) -> None:
    spec = next(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    executors = spec["deploymentSpec"]["executors"]
    seen = 0
    for name, task in dag_tasks(spec):
        seen += 1
        executor = spec["components"][task["componentRef"]["name"]]["executorLabel"]
        resources = executors[executor]["container"].get("resources") or {}
        for field in ("resourceCpuRequest", "resourceCpuLimit", "resourceMemoryRequest",
                      "resourceMemoryLimit"):  # fmt: skip
            assert field in resources, f"{path.name}: task {name} has no {field}"
        assert resources["cpuRequest"] <= resources["cpuLimit"], name
        assert resources["memoryRequest"] <= resources["memoryLimit"], name
        retry = task.get("retryPolicy") or {}
        assert retry.get("maxRetryCount") == RETRIES["num_retries"], f"task {name}: {retry}"
        assert retry.get("backoffDuration") == RETRIES["backoff_duration"], name
    assert seen >= 5


def test_sizes_come_from_the_table_and_compiled_files_are_current(tmp_path: Path) -> None:
    spec = next(yaml.safe_load_all((ROOT / "pipelines/compiled/training.yaml").read_text("utf-8")))
    train = spec["deploymentSpec"]["executors"]["exec-train"]["container"]["resources"]
    cpu, cpu_limit, memory, memory_limit = TASK_RESOURCES["train"]
    assert (train["resourceCpuRequest"], train["resourceCpuLimit"]) == (cpu, cpu_limit)
    assert (train["resourceMemoryRequest"], train["resourceMemoryLimit"]) == (memory, memory_limit)
    for fresh in compile_all(tmp_path):
        committed = ROOT / "pipelines" / "compiled" / fresh.name
        assert fresh.read_text("utf-8") == committed.read_text("utf-8"), (
            f"{committed} is stale: run `make compile`"
        )


def test_monitoring_reads_and_retrains_on_the_panel_as_training_does() -> None:
    """A CSV source's columns and reading options (delimiter, encoding, week rule…) reach the
    performance step, which reads the actual counts, and the retraining it starts."""
    compiled = ROOT / "pipelines/compiled/monitoring.yaml"
    spec = next(yaml.safe_load_all(compiled.read_text(encoding="utf-8")))
    assert "panel_options" in spec["root"]["inputDefinitions"]["parameters"]
    tasks = dict(dag_tasks(spec))
    wanted = {"panel_options", "region_col", "date_col", "target_col", "level", "source"}
    for name in ("monitor-performance", "monitor-retrain"):
        given = tasks[name]["inputs"]["parameters"]
        assert wanted <= set(given), f"{name} lacks {sorted(wanted - set(given))}"
        for key in wanted:  # (inside the retrain condition, a pipeline channel of the input)
            passed = given[key]["componentInputParameter"].removeprefix("pipelinechannel--")
            assert passed == key, (name, key)


def test_a_local_run_leaves_retries_out_and_puts_them_back() -> None:
    pipeline = create_training_pipeline(image_ref("project", "local"))

    def retries() -> list[int]:
        """Of every container task (not the condition and loop tasks that hold them)."""
        spec = pipeline.pipeline_spec
        dags = [spec.root.dag, *(c.dag for c in spec.components.values() if c.HasField("dag"))]
        return [
            task.retry_policy.max_retry_count
            for dag in dags
            for task in dag.tasks.values()
            if spec.components[task.component_ref.name].executor_label
        ]

    before = retries()
    assert len(before) > 6 and set(before) == {RETRIES["num_retries"]}
    with without_retries(pipeline):
        assert set(retries()) == {0}
    assert retries() == before
