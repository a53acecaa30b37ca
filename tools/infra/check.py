"""``make infra-check``: every static check of the deployment artefacts, in one command.

Run from the repository root with the infra venv: ``.venv-infra/bin/python -m tools.infra.check``.
``--root DIR`` checks a copy of the repository instead; ``--steps a,b`` runs some steps only.
Exit 0 when everything passes, 1 with one line per problem otherwise.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from tools.infra import images, kube, scanners, terraform

STEPS = (
    "render",
    "schemas",
    "pod-security",
    "serving-ports",
    "image-pins",
    "terraform",
    "hadolint",
    "checkov-kubernetes",
    "checkov-terraform",
    "checkov-dockerfile",
)
SKIP_DIRS = {".venv", ".venv-infra", ".git", "node_modules", ".vigia"}

Result = tuple[str, list[str]]


def dockerfiles(root: Path) -> list[Path]:
    """Dockerfiles of the repository (root and one level down, not in venvs)."""
    found = list(root.glob("Dockerfile*")) + list(root.glob("*/Dockerfile*"))
    return sorted(p for p in found if p.is_file() and not SKIP_DIRS & set(p.parts))


def run_step(name: str, func: Callable[[], Result]) -> int:
    """Run one step, print its line and problems; returns the number of problems."""
    start = time.perf_counter()
    try:
        summary, problems = func()
    except Exception as error:  # a crashing check is a failed check, reported as such
        summary, problems = "crashed", [f"{type(error).__name__}: {error}"]
    mark = "ok  " if not problems else "FAIL"
    print(f"{mark} {name}: {summary} ({time.perf_counter() - start:.1f} s)", flush=True)
    for problem in problems:
        print(f"     - {problem}", flush=True)
    return len(problems)


class Checks:
    """The steps, sharing the rendered overlays (written to ``out`` for checkov)."""

    def __init__(self, root: Path, out: Path) -> None:
        self.root = root
        self.out = out
        self.rendered: dict[str, list[dict[str, Any]]] = {}
        self.docker = dockerfiles(root)
        self.checkov: dict[str, subprocess.Popen[str] | None] = {}

    def render(self) -> Result:
        problems = []
        for overlay in sorted(
            p for p in (self.root / "manifests" / "overlays").iterdir() if p.is_dir()
        ):
            try:
                objects = kube.render(overlay, scanners.tool("kubectl"))
            except RuntimeError as error:
                problems.append(f"overlay {overlay.name}: {error}")
                continue
            self.rendered[overlay.name] = objects
            (self.out / f"overlay-{overlay.name}.yaml").write_text(
                yaml.safe_dump_all(objects, sort_keys=False), encoding="utf-8"
            )
        counts = ", ".join(f"{k}: {len(v)} objects" for k, v in self.rendered.items())
        return f"kubectl kustomize → {counts or 'nothing'}", problems

    def start_checkov(self, steps: list[str]) -> None:
        """Start the selected checkov scans in the background (they take the longest)."""
        targets = {
            "checkov-kubernetes": (["-d", str(self.out)], "kubernetes"),
            "checkov-terraform": (["-d", str(self.root / "terraform")], "terraform"),
            "checkov-dockerfile": ([a for d in self.docker for a in ("-f", str(d))], "dockerfile"),
        }
        for step, (args, framework) in targets.items():
            if step in steps and args:
                self.checkov[step] = scanners.start_checkov(args, [framework])

    def checkov_result(self, step: str) -> Callable[[], Result]:
        def result() -> Result:
            process = self.checkov.get(step)
            if process is None:
                return "nothing to scan", []
            counts, problems = scanners.checkov_findings(process, self.root)
            return f"{counts}", problems

        return result

    def schemas(self) -> Result:
        objects = [(name, obj) for name, objs in self.rendered.items() for obj in objs]
        problems = [f"overlay {n}: {p}" for n, obj in objects for p in kube.validate_object(obj)]
        summary = (
            f"{len(objects)} objects: core kinds by kubernetes-validate --strict "
            f"{kube.KUBERNETES_VERSION}, custom kinds by their CRD schemas"
        )
        return summary, problems

    def pod_security(self) -> Result:
        problems = [
            f"overlay {n}: {p}"
            for n, objs in self.rendered.items()
            for p in kube.pod_security_problems(objs)
        ]
        return "restricted profile, read-only root fs, requests/limits (incl. KServe)", problems

    def serving_ports(self) -> Result:
        problems = [
            f"overlay {n}: {p}"
            for n, objs in self.rendered.items()
            for p in kube.serving_port_problems(objs)
        ]
        return "one port per runtime: http1 for HTTP, h2c for gRPC (Knative, KServe)", problems

    def image_pins(self) -> Result:
        problems = images.kustomization_problems(self.root)
        for name, objs in self.rendered.items():
            problems += images.rendered_problems(self.root, name, objs)
        problems += images.compiled_pipeline_problems(self.root)
        refs = ", ".join(sorted(images.cluster_images(self.root).values()))
        return f"manifests and pipelines/compiled use {refs}", problems

    def terraform(self) -> Result:
        count, problems = terraform.terraform_problems(self.root)
        return f"{count} Terraform folders parsed with hcl2", problems

    def hadolint(self) -> Result:
        names = ", ".join(str(d.relative_to(self.root)) for d in self.docker)
        return names or "no Dockerfile", scanners.hadolint_problems(self.docker, self.root)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="repository root")
    parser.add_argument(
        "--steps", default=",".join(STEPS), help=f"comma-separated subset of {', '.join(STEPS)}"
    )
    args = parser.parse_args(argv)
    steps = [s.strip() for s in args.steps.split(",") if s.strip()]
    unknown = sorted(set(steps) - set(STEPS))
    if unknown:
        parser.error(f"unknown step(s) {', '.join(unknown)}")
    started = time.perf_counter()
    failed = 0
    with tempfile.TemporaryDirectory(prefix="vigia-infra-") as tmp:
        checks = Checks(args.root.resolve(), Path(tmp))
        failed += run_step("render", checks.render)  # every other step reads the overlays
        checks.start_checkov(steps)
        functions: dict[str, Callable[[], Result]] = {
            "schemas": checks.schemas,
            "pod-security": checks.pod_security,
            "serving-ports": checks.serving_ports,
            "image-pins": checks.image_pins,
            "terraform": checks.terraform,
            "hadolint": checks.hadolint,
            **{s: checks.checkov_result(s) for s in STEPS if s.startswith("checkov-")},
        }
        for step in STEPS[1:]:
            if step in steps:
                failed += run_step(step, functions[step])
    total = time.perf_counter() - started
    verdict = "passed" if failed == 0 else f"FAILED ({failed} problems)"
    print(f"infra-check {verdict} in {total:.1f} s")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
