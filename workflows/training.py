"""Train a forecaster: validate the data source, run the training pipeline (ingest → features →
train → evaluate + gate → register → [approved] push) on this machine, return what it decided."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vigia.data.read import PanelOptions
from vigia.workspace import Workspace

Runner = Literal["subprocess", "container"]


@dataclass(frozen=True)
class TrainingSpec:
    """What to train on and how; ``None`` keeps the pipeline's default.

    Attributes:
        source: ``peru`` (the MINSA line list), the path of a weekly panel CSV, or a
            ``gs://`` URI of one (downloaded by the ingest step).
        region_col, date_col, target_col: Column names of a CSV source.
        level: Peru's regions: ``department`` (default), ``province`` or ``district``.
        regions: Comma-separated subset of regions.
        method: Forecasting method (pipeline default: ``hybrid``).
        seed: Random seed.
        backtest_years, refit_every: The backtest steps' origins and refits.
        backtest_shards: At most this many backtest shards (a ``ParallelFor``; default 1 for a
            local run, the compiled pipeline's 4 on a cluster).
        panel_options: How to read a CSV export (delimiter, encoding, week rule, …).
        replace_scope: Let the gate approve a model whose scope differs from the champion's.
        end: Cut the data off after this week (ISO date): replays, retraining as of a week.
        registered_name: The registered model (pipeline default: ``dengue-forecast``).
    """

    source: str = "peru"
    region_col: str | None = None
    date_col: str | None = None
    target_col: str | None = None
    level: str | None = None
    regions: str | None = None
    method: str | None = None
    seed: int | None = None
    backtest_years: float | None = None
    refit_every: int | None = None
    backtest_shards: int | None = None
    panel_options: PanelOptions = field(default_factory=PanelOptions)
    replace_scope: bool | None = None
    end: str | None = None
    registered_name: str | None = None

    def ingest(self) -> tuple[Any, dict[str, Any]]:
        """The panel and data card this spec trains on, read as the ingest step reads them."""
        from vigia.data.ingest import ingest_panel

        options = PanelOptions(
            **{
                **self.panel_options.__dict__,
                "region_col": self.region_col or "region",
                "date_col": self.date_col or "week_start",
                "target_col": self.target_col or "cases",
            }
        )
        import tempfile

        from vigia.data.sources import local_source

        with tempfile.TemporaryDirectory() as scratch:
            return ingest_panel(
                local_source(self.pipeline_source, Path(scratch)),
                level=self.level or "department",
                regions=self.regions or "",
                end=self.end or "",
                options=options,
            )

    @property
    def pipeline_source(self) -> str:
        """The source as the pipeline takes it: ``peru``, a ``gs://`` URI or an absolute path."""
        from vigia.data.sources import PERU, is_object_uri

        if self.source == PERU or is_object_uri(self.source):
            return self.source
        return str(Path(self.source).resolve())

    def overrides(self) -> dict[str, Any]:
        """The training pipeline's parameters this spec sets (``None``: the default)."""
        return {
            "source": self.pipeline_source,
            "region_col": self.region_col,
            "date_col": self.date_col,
            "target_col": self.target_col,
            "level": self.level,
            "regions": self.regions,
            "method": self.method,
            "seed": self.seed,
            "backtest_years": self.backtest_years,
            "refit_every": self.refit_every,
            "backtest_shards": self.backtest_shards,
            "panel_options": self.panel_options.to_json(),
            "replace_scope": self.replace_scope,
            "end": self.end,
            "registered_name": self.registered_name,
        }


def preflight(spec: TrainingSpec) -> None:
    """Validate the data source before starting a run, so bad input fails in a second with one
    readable line (the ingest step validates again inside the pipeline): the panel's contract,
    and whether it is long enough for the evaluate step's backtest."""
    from vigia.errors import VigiaError
    from vigia.evaluate.backtest import MIN_ORIGIN_WEEKS, default_origins, forecastable
    from vigia.forecasts.quantiles import HORIZONS

    overrides = spec.overrides()
    if spec.backtest_shards is not None and spec.backtest_shards < 1:
        raise VigiaError(f"--backtest-shards must be at least 1, got {spec.backtest_shards}")
    panel, _ = spec.ingest()
    years = overrides.get("backtest_years") or 2.0
    origins = default_origins(panel, years=years, max_horizon=max(HORIZONS))
    if len(forecastable(panel, origins)) == 0:
        raise VigiaError(
            f"no region has {MIN_ORIGIN_WEEKS} reported weeks before any backtest origin "
            f"({origins[0]:%Y-%m-%d} … {origins[-1]:%Y-%m-%d}); the panel is too short to evaluate"
        )


def training_pipeline_arguments(
    workspace: Workspace, spec: TrainingSpec, gates: Path | None = None
) -> dict[str, Any]:
    """The training pipeline's arguments for ``spec`` against ``workspace`` (``gates``: the
    gate thresholds TOML, default the packaged one)."""
    from vigia.evaluate.gates import gate_config_text
    from vigia.pipelines.training import training_arguments

    return training_arguments(workspace, gate_config_text(gates), **spec.overrides())


def run_training_pipeline(
    workspace: Workspace,
    arguments: dict[str, Any],
    runner: Runner = "subprocess",
    quiet: bool = False,
) -> dict[str, Any]:
    """Run the training pipeline with ``arguments`` under ``kfp.local`` in ``workspace``; its
    outcome (:func:`vigia.pipelines.training.read_training_outcome`)."""
    from vigia.images import image_ref
    from vigia.pipelines.local import run_pipeline_locally
    from vigia.pipelines.training import create_training_pipeline, read_training_outcome

    run = run_pipeline_locally(
        create_training_pipeline(image_ref("project", "local")),
        arguments,
        workspace,
        runner=runner,
        quiet=quiet,
    )
    return read_training_outcome(run)


def run_training(
    workspace: Workspace,
    spec: TrainingSpec,
    gates: Path | None = None,
    runner: Runner = "subprocess",
    quiet: bool = False,
) -> dict[str, Any]:
    """Validate the inputs, then train: the outcome (``card``, ``scores``, ``decision``,
    ``version``, ``pushed``, ``pushed_to``, ``run``, ``seconds``). Bad input changes nothing in
    the workspace."""
    from vigia.evaluate.gates import gate_config_text

    gate_config_text(gates)  # a bad gate file fails before anything runs
    preflight(spec)
    return run_training_pipeline(
        workspace.ensure(), training_pipeline_arguments(workspace, spec, gates), runner, quiet
    )
