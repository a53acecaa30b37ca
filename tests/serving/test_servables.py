"""The forecaster servable in process, on real fitted bundles: it answers exactly what the model
predicts, batches many origins, logs the features the model saw, and refuses what it must."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from vigia.errors import GateRefusedError, VigiaError
from vigia.features.forecast import FEATURES, build_features
from vigia.models.bundle import MANIFEST
from vigia.servables.base import Tensor
from vigia.servables.errors import InvalidRequest
from vigia.servables.forecaster import ForecastServable
from vigia.servables.kinds import load_servable, servable_class
from vigia.training import train_forecaster


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory, small_panel: pd.DataFrame) -> Path:
    folder = tmp_path_factory.mktemp("servable") / "bundle"
    train_forecaster(small_panel, "seasonal_naive", 0, folder, {"data_hash": "test"})
    return folder


@pytest.fixture(scope="module")
def servable(bundle: Path) -> ForecastServable:
    loaded = load_servable(bundle)
    assert isinstance(loaded, ForecastServable)
    return loaded


def test_forecasts_equal_the_models_own_and_rounds_keep_rows_apart(
    servable: ForecastServable, small_panel: pd.DataFrame
) -> None:
    rows = [
        {"region": "PIURA", "week_start": "2022-03-06"},
        {"region": "PIURA"},
        {"region": "TUMBES", "week_start": "2022-03-06"},
        {"region": "PIURA", "week_start": "2021-12-26"},
    ]
    batch = servable.parse_v1({"instances": rows})
    result = servable.predict(batch)
    history = servable.series
    for row, values in zip(batch.rows, result, strict=True):
        weeks, cases = history[row.region]
        keep = weeks <= row.origin
        alone = pd.DataFrame(
            {"region": row.region, "week_start": weeks[keep], "cases": cases[keep]}
        )
        expected = servable.model.predict(alone).values[0]
        np.testing.assert_array_equal(values, expected)
    assert [p["origin"] for p in servable.v1_predictions(batch, result)] == [
        "2022-03-06", "2022-12-25", "2022-03-06", "2021-12-26"
    ]  # fmt: skip


def test_many_origins_of_a_vectorised_model_equal_one_request_each(
    tmp_path: Path, small_panel: pd.DataFrame
) -> None:
    """A batch repeating regions (one predict_origins call) answers what each row alone gets."""
    train_forecaster(small_panel, "xgboost", 0, tmp_path / "xgb", {"data_hash": "test"})
    xgb = load_servable(tmp_path / "xgb")
    weeks = [f"{w:%Y-%m-%d}" for w in pd.date_range("2022-01-02", periods=12, freq="7D")]
    rows = [{"region": r, "week_start": w} for w in weeks for r in ("PIURA", "TUMBES", "LORETO")]
    rows.append({"region": "PIURA", "week_start": "2022-03-06", "history": [3.0] * 30})
    batch = xgb.parse_v1({"instances": rows})
    together = xgb.predict(batch)
    uncached = load_servable(tmp_path / "xgb")
    uncached.cache = None
    for i in (0, 5, 17, 35, 36):  # bundled rows at several origins, and the sent history
        alone = uncached.predict(uncached.parse_v1({"instances": [rows[i]]}))
        np.testing.assert_allclose(together[i], alone[0], rtol=1e-6, atol=1e-6)
    assert not np.allclose(together[0], together[3])  # PIURA at two origins differs
    # Bundled-history forecasts are kept (not the client's own history) and served again as is.
    assert len(xgb.cache) == 36
    np.testing.assert_array_equal(xgb.predict(batch), together)


def test_v2_tensors_parse_like_v1(servable: ForecastServable) -> None:
    history = np.arange(60, dtype=np.float32)[None, :]
    tensors = [
        Tensor("region", "BYTES", [1], data=np.array([b"LORETO"], dtype=object)),
        Tensor("week_start", "BYTES", [1], data=np.array(["2022-12-25"], dtype=object)),
        Tensor("history", "FP32", [1, 60], loader=lambda: history),
    ]
    v2 = servable.parse_v2(servable.check_v2(tensors))
    v1 = servable.parse_v1(
        {"instances": [{"region": "LORETO", "week_start": "2022-12-25",
                        "history": history[0].tolist()}]}
    )  # fmt: skip
    np.testing.assert_array_equal(servable.predict(v2), servable.predict(v1))
    outputs = {t.name: t for t in servable.v2_outputs(v2, servable.predict(v2))}
    assert outputs["quantiles"].data.shape == (1, 4, 23)
    assert outputs["quantiles"].data.dtype == np.float32
    assert outputs["target_week"].data.tolist() == [
        ["2023-01-01", "2023-01-08", "2023-01-15", "2023-01-22"]
    ]


def test_payload_rows_hold_the_features_at_the_origin(servable: ForecastServable) -> None:
    sent = [float(v) for v in range(3, 63)]
    batch = servable.parse_v1(
        {"instances": [{"region": "PIURA", "week_start": "2022-06-05"},
                       {"region": "LORETO", "week_start": "2022-12-25", "history": sent}]}
    )  # fmt: skip
    inputs, outputs = servable.payload_rows(batch, servable.predict(batch))
    weeks, cases = servable.series["PIURA"]
    own = pd.DataFrame({"region": "PIURA", "week_start": weeks, "cases": cases})
    at_origin = build_features(own).set_index("origin").loc[pd.Timestamp("2022-06-05")]
    assert inputs[0]["history_source"] == "model"
    assert inputs[0]["last_cases"] == float(
        own.loc[own.week_start == "2022-06-05", "cases"].iloc[0]
    )
    for name in FEATURES:
        assert inputs[0][name] == pytest.approx(at_origin[name], nan_ok=True)
    series = pd.DataFrame(
        {"region": "X", "week_start": pd.date_range(end="2022-12-25", periods=60, freq="7D"),
         "cases": sent}
    )  # fmt: skip
    expected = build_features(series).iloc[-1]
    assert inputs[1]["history_source"] == "request" and inputs[1]["history_weeks"] == 60
    for name in FEATURES:
        assert inputs[1][name] == pytest.approx(expected[name], nan_ok=True)
    assert outputs[1]["target_weeks"][0] == "2023-01-01"
    assert np.array(outputs[1]["quantiles"]).shape == (4, 23)


def test_unapproved_bundle_and_unknown_kind_are_refused(bundle: Path, tmp_path: Path) -> None:
    refused = tmp_path / "refused"
    refused.mkdir()
    for item in bundle.iterdir():
        target = refused / item.name
        if item.is_dir():
            target.symlink_to(item, target_is_directory=True)
        elif item.name != MANIFEST:
            target.symlink_to(item)
    manifest = json.loads((bundle / MANIFEST).read_text(encoding="utf-8"))
    manifest["decision"] = {"approved": False, "reasons": ["FAIL WIS relative to persistence"]}
    (refused / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(GateRefusedError, match="did not approve"):
        load_servable(refused)
    with pytest.raises(VigiaError, match="no servable for model kind 'regressor'"):
        servable_class("regressor")


def test_errors_name_the_field(servable: ForecastServable) -> None:
    with pytest.raises(InvalidRequest) as caught:
        servable.parse_v1({"instances": [{"region": "PIURA"}, {"region": "LIMA"}]})
    assert caught.value.status == 404 and caught.value.kind == "unknown_region"
    assert str(caught.value).startswith("instances[1]: unknown region 'LIMA'")


def test_a_ragged_gapped_history_is_served_only_from_reported_weeks(
    small_panel: pd.DataFrame, tmp_path: Path
) -> None:
    """TUMBES stops reporting 5 weeks before the end and misses one week inside: a request
    without a week forecasts from its last reported week, one naming an unreported week is a
    422 that names the last reported week before it, never a forecast labelled with that week."""
    from vigia.data.contract import validate_panel

    tumbes = small_panel["region"] == "TUMBES"
    weeks = sorted(small_panel["week_start"].unique())
    gap, last = weeks[-30], weeks[-6]
    panel = small_panel[~(tumbes & (small_panel["week_start"] > last))]
    panel = validate_panel(panel[~((panel["region"] == "TUMBES") & (panel["week_start"] == gap))])
    folder = tmp_path / "bundle"
    train_forecaster(panel, "seasonal_naive", 0, folder, {"data_hash": "test"})
    servable = load_servable(folder)
    assert isinstance(servable, ForecastServable)
    batch = servable.parse_v1({"instances": [{"region": "TUMBES"}, {"region": "PIURA"}]})
    assert [row.origin for row in batch.rows] == [np.datetime64(last, "ns"), weeks[-1]]
    assert np.isfinite(servable.predict(batch)).all()
    with pytest.raises(InvalidRequest) as caught:
        servable.parse_v1({"instances": [{"region": "TUMBES", "week_start": f"{gap:%Y-%m-%d}"}]})
    assert caught.value.status == 422 and caught.value.kind == "unreported_week"
    before = pd.Timestamp(gap) - pd.Timedelta(weeks=1)
    assert f"last reported week before it is {before:%Y-%m-%d}" in str(caught.value)
