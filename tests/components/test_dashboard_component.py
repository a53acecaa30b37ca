"""The dashboard component called through ``component.python_func`` on a real live model store."""

# (no `from __future__ import annotations`: KFP reads the pipeline's annotations at runtime)

from pathlib import Path

import pytest
from kfp.dsl import HTML

from vigia.components import make_component
from vigia.components.dashboard import dashboard
from vigia.images import image_ref
from vigia.workspace import Workspace

BUILD = make_component(dashboard, image_ref("project", "local")).python_func


def test_dashboard_component_writes_the_html_artifact_and_the_workspace_copy(
    live_workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = HTML(uri=str(tmp_path / "page"))
    copy = BUILD(
        store_root=str(live_workspace.models),
        registered_name="dengue-forecast",
        resource="vector_control_team_weeks",
        budget=120.0,
        floor_per_100k=0.0,
        weeks=2,
        page=page,
    )
    html = Path(page.path).read_text(encoding="utf-8")
    assert Path(copy) == live_workspace.reports / "dashboard" / "index.html"
    assert Path(copy).read_text(encoding="utf-8") == html
    assert "Semanas-brigada de control vectorial" in html and "próximas 2 semanas" in html
    assert "dashboard: allocation: vector_control_team_weeks, budget 120" in capsys.readouterr().out


def test_dashboard_component_without_a_live_model_exits_2(
    workspace: Workspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        BUILD(
            store_root=str(workspace.models),
            registered_name="dengue-forecast",
            resource="test_kits",
            budget=0.0,
            floor_per_100k=0.0,
            weeks=4,
            page=HTML(uri=str(tmp_path / "page")),
        )
    assert info.value.code == 2
    assert "dashboard: error: no live 'dengue-forecast' model" in capsys.readouterr().err


def test_dashboard_component_outside_a_workspace_writes_the_artifact_only(
    live_models: Path, tmp_path: Path
) -> None:
    import shutil

    store = tmp_path / "bucket" / "store"  # like the model store bucket on a cluster
    shutil.copytree(live_models, store)
    page = HTML(uri=str(tmp_path / "page"))
    copy = BUILD(
        store_root=str(store),
        registered_name="dengue-forecast",
        resource="test_kits",
        budget=0.0,
        floor_per_100k=0.0,
        weeks=4,
        page=page,
    )
    assert copy == ""
    assert "no allocation yet" in Path(page.path).read_text(encoding="utf-8")
    assert not (tmp_path / "bucket" / "reports").exists()


def test_dashboard_component_compiles_with_an_html_output(tmp_path: Path) -> None:
    import yaml
    from kfp import compiler, dsl

    image = image_ref("project", "cluster")
    dashboard_op = make_component(dashboard, image)

    @dsl.pipeline(name="dashboard-only")
    def only_dashboard(store_root: str) -> None:
        dashboard_op(
            store_root=store_root,
            registered_name="dengue-forecast",
            resource="test_kits",
            budget=0.0,
            floor_per_100k=0.0,
            weeks=4,
        )

    path = tmp_path / "dashboard.yaml"
    compiler.Compiler().compile(only_dashboard, str(path))
    spec = yaml.safe_load(path.read_text())
    outputs = spec["components"]["comp-dashboard"]["outputDefinitions"]["artifacts"]
    assert outputs["page"]["artifactType"]["schemaTitle"] == "system.HTML"
    (executor,) = spec["deploymentSpec"]["executors"].values()
    assert executor["container"]["image"] == image
