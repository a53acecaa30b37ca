"""Registry reads of a SQLite registry go through ``SqliteRegistryView`` (no MLflow import) and
answer exactly what MLflow's client answers, on a real registry written by MLflow; ``vigia models
list`` prints it without importing MLflow."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from cli_helpers import run_cli

from vigia.registry.sqlite_view import SqliteRegistryView
from vigia.registry.tracking import SCOPE_TAG, Registry, VersionInfo
from vigia.training import train_forecaster
from vigia.workspace import Workspace

FORECAST = "dengue-forecast"
RISK = "cohort-risk"
SCOPE = {"regions": ["PIURA", "TUMBES"], "horizons": [1, 2, 3, 4]}


@pytest.fixture(scope="module")
def registry_ws(tmp_path_factory: pytest.TempPathFactory, small_panel: pd.DataFrame) -> Workspace:
    """Three forecast versions (approved, unapproved with a NaN metric, approved and champion),
    a deleted fourth, and an unapproved risk model — all written by MLflow."""
    root = tmp_path_factory.mktemp("registry")
    ws = Workspace(root / "ws").ensure()
    bundle = root / "bundle"  # a real bundle: MLflow logs it with its signature and example
    train_forecaster(small_panel, "persistence", 0, bundle, {"data_hash": "test"})
    registry = Registry(ws.tracking_uri, ws.artifacts)
    runs = [(True, 0.9), (False, float("nan")), (True, 0.8), (True, 0.7)]
    for approved, wis in runs:
        registry.log_training_run(
            experiment=FORECAST,
            registered_name=FORECAST,
            bundle=bundle,
            params={"method": "persistence"},
            metrics={"relative_wis": wis, "wis": 2.0},
            tags={SCOPE_TAG: json.dumps(SCOPE)} if approved else {},
            artifacts={},
            approved=approved,
        )
    registry.promote(FORECAST, 3)
    registry.client.delete_model_version(FORECAST, "4")
    registry.log_training_run(
        experiment=RISK,
        registered_name=RISK,
        bundle=bundle,
        params={},
        metrics={"auc": 0.7},
        tags={},
        artifacts={},
        approved=False,
    )
    return ws


def _through_mlflow(ws: Workspace) -> Registry:
    registry = Registry(ws.tracking_uri, ws.artifacts)
    registry._sqlite = None  # what every non-SQLite tracking URI uses
    return registry


def _comparable(info: VersionInfo | None) -> dict | None:
    if info is None:
        return None
    out = info.to_dict()
    out["metrics"] = [(k, "nan" if math.isnan(v) else v) for k, v in info.metrics.items()]
    return out


def test_view_reads_what_mlflow_reads(registry_ws: Workspace) -> None:
    fast, slow = Registry(registry_ws.tracking_uri), _through_mlflow(registry_ws)
    assert fast.names() == slow.names() == [RISK, FORECAST]
    for name in (FORECAST, RISK):
        listed = [_comparable(v) for v in fast.versions(name)]
        assert listed == [_comparable(v) for v in slow.versions(name)]
        assert _comparable(fast.champion(name)) == _comparable(slow.champion(name))
    assert [v.version for v in fast.versions(FORECAST)] == [1, 2, 3]  # 4 was deleted
    third = fast.version(FORECAST, 3)
    assert _comparable(third) == _comparable(slow.version(FORECAST, 3))
    assert third.approved and third.aliases == ["champion"]  # challenger went with 4
    assert math.isnan(fast.version(FORECAST, 2).metrics["relative_wis"])
    assert fast.champion(RISK) is None and fast.versions("no-such-model") == []
    assert fast.champion("no-such-model") is slow.champion("no-such-model") is None
    assert fast.scope(third) == slow.scope(third) == SCOPE
    assert fast.scope(fast.version(FORECAST, 2)) is slow.scope(slow.version(FORECAST, 2)) is None


def test_reads_take_no_mlflow_and_misses_ask_mlflow(registry_ws: Workspace) -> None:
    code = (
        "import sys; from vigia.registry.tracking import Registry; "
        f"r = Registry({registry_ws.tracking_uri!r}); "
        f"print(len(r.versions({FORECAST!r})), r.champion({FORECAST!r}).version); "
        f"print(r.champion({RISK!r}), sorted(r.scope(r.champion({FORECAST!r}))));"
        f"print(Registry('sqlite:///' + {str(registry_ws.root / 'none.db')!r}).champion('x'));"
        "print('mlflow' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["3", "3", "None", "['horizons',", "'regions']", "None", "False"]
    from mlflow.exceptions import MlflowException

    with pytest.raises(MlflowException):  # a missing version is MLflow's own error, as before
        Registry(registry_ws.tracking_uri).version(FORECAST, 4)


def test_unknown_schema_falls_back_to_mlflow(tmp_path: Path) -> None:
    db = tmp_path / "other.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE registered_models (name TEXT)")  # no workspace column
    view = SqliteRegistryView.for_uri(f"sqlite:///{db}")
    assert view is not None and view.names() is None and view.versions(FORECAST) is None
    assert SqliteRegistryView(tmp_path / "missing.db").names() == []
    assert SqliteRegistryView.for_uri("http://mlflow:5000") is None


def test_models_list_prints_the_registry(registry_ws: Workspace) -> None:
    done = run_cli(["--workspace", str(registry_ws.root), "models", "list"])
    assert done.code == 0, done.stderr
    rows = [line.split() for line in done.stdout.splitlines()]
    assert rows[0][:4] == ["model", "ver", "approved", "live"]
    assert [r[:3] for r in rows[1:]] == [
        [RISK, "1", "no"],
        [FORECAST, "1", "yes"],
        [FORECAST, "2", "no"],
        [FORECAST, "3", "yes"],
    ]
    assert rows[2][3:5] == ["0.900", "-"] and rows[3][3] == "nan"
    assert rows[4][3:5] == ["0.800", "champion"] and rows[1][3:5] == ["-", "challenger"]
    listed = json.loads(
        run_cli(["--workspace", str(registry_ws.root), "models", "list", "--json"]).stdout
    )
    assert [(v["name"], v["version"], v["approved"]) for v in listed] == [
        (RISK, 1, False),
        (FORECAST, 1, True),
        (FORECAST, 2, False),
        (FORECAST, 3, True),
    ]
    empty = run_cli(["--workspace", str(registry_ws.root.parent / "empty"), "models", "list"])
    assert empty.stdout.strip() == "no registered models yet: run `vigia pipeline run training`"
