"""What README's plain install (no extras) must run: every public module imports, every command answers
``--help``, and a tiny search is reported. An import of a package the install does not bring fails here."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nasbench

COMMANDS = [
    [],
    ["search"],
    ["export"],
    ["scale"],
    ["supernet"],
    ["supernet", "train"],
    ["sweep"],
    ["report"],
    ["proxies"],
    ["latency"],
    ["latency", "calibrate"],
    ["latency", "validate"],
    ["latency", "predict"],
    ["spaces"],
    ["strategies"],
    ["evaluators"],
    ["backends"],
]


def nasbench_cli(*argv: str) -> str:
    done = subprocess.run([sys.executable, "-m", "nasbench.cli", *argv], capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"nasbench {' '.join(argv)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def main() -> None:
    modules = [m.name for m in pkgutil.walk_packages(nasbench.__path__, "nasbench.")]
    public = [name for name in modules if not any(part.startswith("_") for part in name.split(".")[1:])]
    for name in public:
        importlib.import_module(name)
    print(f"imported {len(public)} modules")
    for command in COMMANDS:
        nasbench_cli(*command, "--help")
    print(f"{len(COMMANDS)} commands answer --help")
    with tempfile.TemporaryDirectory() as tmp:
        run, page = Path(tmp) / "run", Path(tmp) / "report.html"
        nasbench_cli("search", "--space", "nb201", "--benchmark", "nb201", "--budget", "5", "--out", str(run))
        nasbench_cli("report", str(run), "--out", str(page))
        if page.stat().st_size < 1000:
            sys.exit(f"the report {page} is nearly empty")
    print("a tiny search is reported")


if __name__ == "__main__":
    main()
