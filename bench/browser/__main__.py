"""``python -m bench.browser`` (or ``python bench/browser``) from the repository root: the whole
browser benchmark; see bench/browser/__init__.py."""

import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])  # the repository root: lessons, bench, harness
if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = ROOT  # run as a directory: its modules must not shadow top-level ones
elif ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.browser.run import main  # noqa: E402

main()
