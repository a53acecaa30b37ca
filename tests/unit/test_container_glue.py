"""The container glue's pure parts: which paths the container runner mounts, and how a
``vigia serve`` command line becomes the predictor container's mounts, ports and arguments."""

from __future__ import annotations

from pathlib import Path

from docker.types import Mount

from vigia.cli.main import build_parser
from vigia.cli.serve import server_arguments
from vigia.pipelines.container_runner import _outside_paths, _without_nested
from vigia.serving.container import predictor_options


def test_runner_mounts_existing_paths_outside_the_workspace_only(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (ws / "models").mkdir(parents=True)
    panel = tmp_path / "data" / "panel.csv"
    panel.parent.mkdir()
    panel.write_text("region,week_start,cases\n", encoding="utf-8")
    arguments = {
        "tracking_uri": f"sqlite:///{ws / 'mlflow.db'}",
        "store_root": str(ws / "models"),
        "source": str(panel),
        "missing": str(tmp_path / "nowhere.csv"),
        "gate_config": "[forecast]\nmax_relative_wis = 1.0\n",
        "seed": 0,
    }
    assert _outside_paths(arguments, ws) == [panel]


def test_pipeline_root_inside_the_workspace_is_not_mounted_twice(tmp_path: Path) -> None:
    ws, elsewhere = tmp_path / "ws", tmp_path / "elsewhere"
    mounts = [Mount(target=str(ws), source=str(ws), type="bind")]
    volumes = {
        str(ws / "pipeline_root"): {"bind": str(ws / "pipeline_root"), "mode": "rw"},
        str(elsewhere): {"bind": str(elsewhere), "mode": "rw"},
    }
    assert _without_nested(volumes, mounts) == {str(elsewhere): volumes[str(elsewhere)]}


def test_serve_command_line_becomes_container_options(tmp_path: Path) -> None:
    args = build_parser().parse_args(
        ["--workspace", str(tmp_path / "ws"), "serve", "--container", "--model", "dengue-forecast",
         "--http-port", "9090", "--grpc-port", "9091", "--max-rows", "50", "--access-log"]
    )  # fmt: skip
    options = predictor_options(server_arguments(args))
    ws = tmp_path / "ws"
    assert options["store"] == ws / "models"
    assert options["models"] == ["dengue-forecast"]
    assert options["host"] == "127.0.0.1"
    assert (options["http_port"], options["grpc_port"]) == (9090, 9091)
    assert options["payload_log"] == ws / "logs" / "payloads"
    assert options["extra_args"] == [
        "--watch-interval", "1.0", "--max-rows", "50", "--max-body-bytes", "4194304",
        "--payload-retention-days", "90.0", "--payload-max-bytes", "5368709120", "--access-log",
    ]  # fmt: skip
