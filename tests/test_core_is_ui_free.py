"""The engine in core/ must stay importable without any UI library (streamlit, plotly)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CORE_DIR = PROJECT_ROOT / "core"
ALLOWED_TOP_LEVEL = {"torch", "numpy", "core"} | set(sys.stdlib_module_names)  # the standard library

IMPORT_CHECK = """
import importlib, sys
import core, core.mixture, core.sde, core.datasets, core.metrics
for name in sys.argv[1:]:
    importlib.import_module(name)
ui = sorted(m for m in sys.modules if m.split('.')[0] in ('streamlit', 'plotly'))
assert not ui, ui
"""


def test_importing_core_loads_neither_streamlit_nor_plotly():
    every_module = [f"core.{path.stem}" for path in sorted(CORE_DIR.glob("*.py"))]
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_CHECK, *every_module],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def _imported_modules(path: Path) -> list[str]:
    modules = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.append(node.module)
    return modules


def _is_allowed(module: str) -> bool:
    return module.split(".")[0] in ALLOWED_TOP_LEVEL


def test_core_modules_import_only_torch_numpy_and_the_standard_library():
    sources = sorted(CORE_DIR.glob("*.py"))
    assert {p.name for p in sources} >= {"mixture.py", "sde.py", "datasets.py", "metrics.py"}
    offending = {
        f"{path.name}: {module}"
        for path in sources
        for module in _imported_modules(path)
        if not _is_allowed(module)
    }
    assert not offending, sorted(offending)
