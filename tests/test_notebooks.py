"""Every lesson executed with papermill through its `parameters` cell, as `make course` does.

(nbval executes them too, cell by cell: see pyproject.toml.) Lessons are discovered, so a new
notebook is tested without editing this file.
"""

from __future__ import annotations

import json

import nbformat
import pytest

from course_offline.runner import execute_lesson, lessons

LESSONS = lessons()


def test_lessons_are_discovered():
    assert LESSONS and LESSONS[0].name == "00_setup.ipynb"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_follows_the_template(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.metadata.kernelspec.name == "open-models-course"
    assert "parameters" in code[0].metadata.get("tags", []), "the first code cell is the parameters cell"
    assert "setup(" in code[1].source, "the second code cell is the setup call"
    assert "By the end of this lesson you can" in text and "## Summary" in text and "## Exercises" in text
    assert "check(" in "\n".join(c.source for c in code), "exercises use course_utils checkers"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), "commit lessons clean"
    assert "sys.path" not in json.dumps(nb), "import course_utils as an installed package"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_executes_with_papermill(path, tmp_path):
    run = execute_lesson(path, tmp_path, parameters={"seed": 0})
    assert run.ok, run.error
    executed = nbformat.read(run.output, as_version=4)
    assert any("injected-parameters" in c.metadata.get("tags", []) for c in executed.cells)
