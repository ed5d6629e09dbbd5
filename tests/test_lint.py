"""`make lint` as a test: ruff over the packages, the tests and every lesson's code cells (ruff reads .ipynb)."""

from __future__ import annotations

import subprocess
import sys

from course_utils.paths import repo_root


def test_the_code_and_the_lessons_code_cells_pass_ruff():
    targets = ["course_utils", "course_offline", "tests", "conftest.py", "notebooks"]
    run = subprocess.run([sys.executable, "-m", "ruff", "check", *targets], capture_output=True, text=True,
                         cwd=repo_root())
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
