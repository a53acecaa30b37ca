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

    The workspace is the folder that holds ``store_root`` (``<workspace>/models``): the page reads
    its ``reports/monitoring/status.json`` and latest allocation, and is copied to
    ``reports/dashboard/index.html`` when that folder exists. With ``budget`` > 0 the page
    allocates ``resource`` now; otherwise it shows the latest plan written by ``vigia allocate``.
    Returns the workspace copy's path ("" when there is none).
    """
    import shutil
    from pathlib import Path

    from vigia.errors import exit_on_user_error
    from vigia.reports.dashboard import AllocationRequest, write_dashboard
    from vigia.workspace import Workspace

    store = Path(store_root).resolve()
    workspace = Workspace(store.parent)
    request = AllocationRequest(resource, budget, floor_per_100k) if budget > 0 else None
    with exit_on_user_error("dashboard"):
        summary = write_dashboard(
            workspace,
            Path(page.path),
            model=registered_name,
            weeks=weeks,
            allocation=request,
            models_root=store,
        )
    for part, line in summary.items():
        print(f"dashboard: {part}: {line}")
    if not workspace.reports.is_dir():  # e.g. a cluster bucket: the KFP artifact is the page
        print(f"dashboard: no workspace reports folder beside {store_root}; artifact only")
        return ""
    copy = workspace.reports / "dashboard" / "index.html"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(page.path, copy)
    return str(copy)
