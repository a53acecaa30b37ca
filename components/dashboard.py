"""Dashboard: the officials' one-page HTML dashboard of the live model, as a KFP HTML artifact
(the KFP UI shows it) and as ``<workspace>/reports/dashboard/index.html``."""

from kfp.dsl import HTML, Output


def dashboard(
    store_root: str,
    registered_name: str,
    resource: str,
    budget: float,
    floor_per_100k: float,
    weeks: int,
    page: Output[HTML],
) -> str:
    """Build the dashboard of the workspace that holds ``store_root``.

    With ``budget`` > 0 the page allocates ``resource`` now; otherwise it shows the latest plan
    written by ``vigia allocate``. Returns the workspace copy's path.
    """
    import shutil
    from pathlib import Path

    from vigia.cli.errors import exit_on_user_error
    from vigia.reports.dashboard import AllocationRequest, write_dashboard
    from vigia.workspace import Workspace

    workspace = Workspace(Path(store_root).resolve().parent)
    request = AllocationRequest(resource, budget, floor_per_100k) if budget > 0 else None
    with exit_on_user_error("dashboard"):
        summary = write_dashboard(
            workspace, Path(page.path), model=registered_name, weeks=weeks, allocation=request
        )
    copy = workspace.reports / "dashboard" / "index.html"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page.path, copy)
    for part, line in summary.items():
        print(f"dashboard: {part}: {line}")
    return str(copy)
