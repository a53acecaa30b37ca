"""The PrometheusRule alerts (manifests/base/monitoring/alerts.yaml) unit-tested with Prometheus'
own ``promtool test rules`` (Debian package ``prometheus``; ``make promtool`` installs it): the
cases in ``alert_rules_*_test.yaml`` fire each alert on bad series and keep it quiet on good ones.
Every metric an alert reads is one that Vigía's code exports."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ALERTS = ROOT / "manifests" / "base" / "monitoring" / "alerts.yaml"
CASES = sorted(Path(__file__).parent.glob("alert_rules_*_test.yaml"))
EXPORTERS = ("serving/metrics.py", "serving/sink.py", "vigia/monitor/metrics.py")


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is not installed: run `make promtool` (Debian package prometheus)"
    return found


def rules_folder(tmp_path: Path) -> Path:
    """The rule groups of the PrometheusRule as a Prometheus rule file, beside the test cases."""
    spec = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["spec"]
    (tmp_path / "rules.yaml").write_text(yaml.safe_dump(spec), encoding="utf-8")
    for case in CASES:
        shutil.copy(case, tmp_path / case.name)
    return tmp_path


def test_promtool_accepts_the_rules(tmp_path: Path) -> None:
    folder = rules_folder(tmp_path)
    check = subprocess.run(
        [promtool(), "check", "rules", "rules.yaml"],
        cwd=folder, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr


def test_promtool_unit_tests_of_the_alerts(tmp_path: Path) -> None:
    folder = rules_folder(tmp_path)
    assert {c.name for c in CASES} == {
        "alert_rules_monitoring_test.yaml",
        "alert_rules_serving_test.yaml",
    }
    run = subprocess.run(
        [promtool(), "test", "rules", *(c.name for c in CASES)],
        cwd=folder, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    tested = set(re.findall(r"alertname: (\w+)", "".join(c.read_text() for c in CASES)))
    spec = yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["spec"]
    alerts = {rule["alert"] for group in spec["groups"] for rule in group["rules"]}
    assert (
        {
            "VigiaMonitoringCheckStale",
            "VigiaMonitoringCheckAbsent",
            "VigiaServerErrorRate",
            "VigiaLatencyP99High",
        }
        <= tested
        <= alerts
    )


def test_alerts_read_metrics_that_vigia_exports() -> None:
    text = ALERTS.read_text(encoding="utf-8")
    spec = yaml.safe_load(text)["spec"]
    exprs = " ".join(rule["expr"] for group in spec["groups"] for rule in group["rules"])
    used = {re.sub(r"_(total|bucket|count|sum)$", "", m) for m in re.findall(r"vigia_\w+", exprs)}
    code = "".join((ROOT / path).read_text(encoding="utf-8") for path in EXPORTERS)
    missing = sorted(name for name in used if f'"{name}"' not in code)
    assert used and missing == []
