"""Each training component called through ``component.python_func`` with real artifacts on a
real slice of the Peru data (3 departments), chained the way the pipeline chains them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from kfp.dsl import Dataset, Markdown, Metrics, Model

from vigia.components import make_component
from vigia.components.backtest_merge import backtest_merge
from vigia.components.backtest_plan import backtest_plan
from vigia.components.backtest_shard import backtest_shard
from vigia.components.evaluate import evaluate
from vigia.components.features import features
from vigia.components.ingest import ingest
from vigia.components.push import push
from vigia.components.register import register
from vigia.components.train import train
from vigia.images import image_ref
from vigia.registry.store import ModelStore
from vigia.registry.tracking import Registry
from vigia.workspace import Workspace

IMAGE = image_ref("project", "local")
REGIONS = "PIURA,LORETO,TUMBES"
LOOSE_GATE = "[forecast]\nmax_relative_wis = 1.5\n"


def _fn(func):  # the component's Python function, as KFP will call it
    return make_component(func, IMAGE).python_func


def _art(cls, folder: Path, name: str):
    return cls(uri=str(folder / name))


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("components")
    ws = Workspace(root / "ws").ensure()
    out = root / "artifacts"
    out.mkdir()
    a = {
        name: _art(cls, out, name)
        for name, cls in {
            "panel": Dataset,
            "card": Markdown,
            "card_json": Dataset,
            "ingest_metrics": Metrics,
            "table": Dataset,
            "catalog": Markdown,
            "catalog_json": Dataset,
            "model": Model,
            "backtest": Dataset,
            "scores": Dataset,
            "scores_md": Markdown,
            "decision": Dataset,
            "decision_md": Markdown,
            "eval_metrics": Metrics,
        }.items()
    }
    data_hash = _fn(ingest)(
        source="peru",
        region_col="region",
        date_col="week_start",
        target_col="cases",
        level="department",
        regions=REGIONS,
        start="",
        end="",
        panel=a["panel"],
        card=a["card"],
        card_json=a["card_json"],
        metrics=a["ingest_metrics"],
    )
    rows = _fn(features)(
        panel=a["panel"], table=a["table"], catalog=a["catalog"], catalog_json=a["catalog_json"]
    )
    _fn(train)(panel=a["panel"], method="xgboost", seed=0, data_hash=data_hash, model=a["model"])
    settings = {"method": "xgboost", "seed": 0, "backtest_years": 0.25, "refit_every": 13}
    shards = _fn(backtest_plan)(panel=a["panel"], backtest_shards=4, **settings)
    forecasts = [_art(Dataset, out, f"shard-{shard}") for shard in shards]
    for shard, forecast in zip(shards, forecasts, strict=True):
        _fn(backtest_shard)(
            panel=a["panel"], backtest_shards=4, shard=float(shard), forecasts=forecast, **settings
        )  # (kfp.local hands a loop item over as a float)
    _fn(backtest_merge)(
        panel=a["panel"], shards=forecasts, source="peru", scores=a["backtest"], **settings
    )
    approved = _fn(evaluate)(
        backtest=a["backtest"],
        gate_config=LOOSE_GATE,
        tracking_uri=ws.tracking_uri,
        registered_name="dengue-forecast",
        replace_scope=False,
        scores=a["scores"],
        table=a["scores_md"],
        decision=a["decision"],
        decision_report=a["decision_md"],
        metrics=a["eval_metrics"],
    )
    version = _fn(register)(
        model=a["model"],
        scores=a["scores"],
        decision=a["decision"],
        catalog=a["catalog"],
        card=a["card"],
        reference=a["table"],
        tracking_uri=ws.tracking_uri,
        artifact_root=str(ws.artifacts),
        registered_name="dengue-forecast",
        method="xgboost",
        seed=0,
        data_hash=data_hash,
    )
    return {
        "ws": ws,
        "a": a,
        "hash": data_hash,
        "rows": rows,
        "approved": approved,
        "version": version,
        "shards": shards,
    }


def test_ingest_writes_panel_card_and_hash(chain: dict) -> None:
    card = json.loads(Path(chain["a"]["card_json"].path).read_text())
    assert card["regions"] == ["LORETO", "PIURA", "TUMBES"]
    assert card["content_hash"] == chain["hash"]
    assert card["rows_dropped"]["region not selected"] > 0
    assert "# Data card" in Path(chain["a"]["card"].path).read_text()
    assert chain["a"]["panel"].metadata["rows"] == 3 * 209


def test_features_and_catalog(chain: dict) -> None:
    catalog = json.loads(Path(chain["a"]["catalog_json"].path).read_text())
    assert chain["rows"] == 3 * 209
    assert {"name", "meaning", "source", "dtype"} <= set(catalog[0])
    assert "| `level` |" in Path(chain["a"]["catalog"].path).read_text()


def test_train_exports_a_loadable_bundle(chain: dict) -> None:
    from vigia.models.bundle import load_forecast_bundle

    model, history, manifest = load_forecast_bundle(chain["a"]["model"].path)
    forecast = model.predict(history)
    assert manifest["data_hash"] == chain["hash"]
    assert forecast.values.shape == (3, 4, 23)


def test_backtest_plan_shards_and_merge(chain: dict) -> None:
    assert chain["shards"] == [0]  # 9 origins: one refit block, one shard
    assert (Path(chain["a"]["backtest"].path).parent / "shard-0" / "shard.json").exists()


def test_evaluate_scores_and_decides(chain: dict) -> None:
    scores = json.loads(Path(chain["a"]["scores"].path).read_text())
    decision = json.loads(Path(chain["a"]["decision"].path).read_text())
    assert set(scores["methods"]) >= {"persistence", "seasonal_naive", "xgboost"}
    assert scores["origins"] == 9  # 13 weeks minus the last 4, whose 4-week target is unseen
    assert scores["methods"]["persistence"]["relative_wis"] == pytest.approx(1.0)
    assert decision["approved"] is chain["approved"]
    assert "| method |" in Path(chain["a"]["scores_md"].path).read_text()


def test_register_creates_a_challenger_version(chain: dict) -> None:
    registry = Registry(chain["ws"].tracking_uri)
    info = registry.version("dengue-forecast", chain["version"])
    assert "challenger" in info.aliases
    assert info.approved is chain["approved"]
    assert "relative_wis" in info.metrics
    run = registry.client.get_run(info.run_id)
    assert run.data.tags["vigia.data_hash"] == chain["hash"]


def test_push_refuses_an_unapproved_decision(
    chain: dict, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = Dataset(uri=str(tmp_path / "refused"))
    verdict = json.loads(Path(chain["a"]["decision"].path).read_text())
    Path(refused.path).write_text(json.dumps({**verdict, "approved": False}))
    with pytest.raises(SystemExit) as exit_info:
        _fn(push)(
            model=chain["a"]["model"],
            decision=refused,
            registered_name="dengue-forecast",
            version=chain["version"],
            store_root=str(chain["ws"].models),
            tracking_uri=chain["ws"].tracking_uri,
        )
    assert exit_info.value.code == 3  # the gate refused it (vigia.errors exit codes)
    assert "not approved" in capsys.readouterr().err
    assert ModelStore(chain["ws"].models).current("dengue-forecast") is None


def test_push_makes_an_approved_version_live_and_champion(chain: dict) -> None:
    assert chain["approved"], "the loose gate should approve xgboost on this slice"
    target = _fn(push)(
        model=chain["a"]["model"],
        decision=chain["a"]["decision"],
        registered_name="dengue-forecast",
        version=chain["version"],
        store_root=str(chain["ws"].models),
        tracking_uri=chain["ws"].tracking_uri,
    )
    store = ModelStore(chain["ws"].models)
    assert store.current("dengue-forecast") == chain["version"]
    assert Path(target) == store.current_dir("dengue-forecast")
    champion = Registry(chain["ws"].tracking_uri).champion("dengue-forecast")
    assert champion is not None and champion.version == chain["version"]
