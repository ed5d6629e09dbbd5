"""The lesson runner behind `make course`: failures are reported with the failing cell, not hidden."""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from course_offline.runner import LessonRun, execute_lesson, write_index


def _notebook(path, *sources):
    nb = new_notebook(cells=[new_code_cell(s) for s in sources],
                      metadata={"kernelspec": {"name": "open-models-course", "display_name": "Open Models Course",
                                               "language": "python"}})
    nb.cells[0].metadata["tags"] = ["parameters"]
    nbformat.write(nb, path)
    return path


def test_a_failing_lesson_is_reported_with_its_error(tmp_path):
    lesson = _notebook(tmp_path / "98_broken.ipynb", "x = 1", "raise ValueError('the cell that broke')")
    run = execute_lesson(lesson, tmp_path / "out")
    assert not run.ok and "the cell that broke" in run.error
    assert run.output.exists()  # the partly executed notebook is kept for reading


def test_parameters_are_injected(tmp_path):
    lesson = _notebook(tmp_path / "97_params.ipynb", "x = 1", "assert x == 5, x")
    assert execute_lesson(lesson, tmp_path / "out", parameters={"x": 5}).ok


def test_index_lists_every_lesson_with_status_and_time(tmp_path):
    (tmp_path / "executed").mkdir()
    ok = LessonRun("00_setup", True, 12.34, tmp_path / "executed" / "00_setup.ipynb")
    bad = LessonRun("01_x", False, 3.0, tmp_path / "executed" / "01_x.ipynb", "ValueError: <boom>")
    write_index([ok, bad], tmp_path / "index.html", "course hub")
    page = (tmp_path / "index.html").read_text()
    assert "00_setup" in page and "12.3 s" in page and "passed" in page
    assert "FAILED" in page and "ValueError: &lt;boom&gt;" in page  # error text escaped
    assert "href='executed/00_setup.ipynb'" in page


def test_out_puts_the_executed_lessons_and_their_index_in_one_folder(tmp_path):
    # `make bench` runs the timing lessons this way, into build/bench/
    from course_offline.runner import main

    assert main(["00", "--out", str(tmp_path / "bench"), "-p", "seed=1"]) == 0
    page = (tmp_path / "bench" / "index.html").read_text()
    assert (tmp_path / "bench" / "00_setup.ipynb").exists()
    assert "href='00_setup.html'" in page and "passed" in page


def test_a_parameter_the_lesson_does_not_have_fails_with_the_valid_names(tmp_path, capsys):
    lesson = _notebook(tmp_path / "96_typo.ipynb", "seed = 0\nrepeats = 3", "pass")
    run = execute_lesson(lesson, tmp_path / "out", parameters={"repeat": 5})
    assert not run.ok and "no parameter repeat" in run.error and "seed, repeats" in run.error

    from course_offline.runner import main

    assert main(["00", "--out", str(tmp_path / "cli"), "-p", "nosuch=1"]) == 2
    err = capsys.readouterr().err
    assert "nosuch" in err and "00_setup: seed" in err


def test_two_runs_into_one_folder_are_refused_not_mixed(tmp_path, capsys):
    import fcntl

    from course_offline.runner import main

    out = tmp_path / "executed"
    out.mkdir()
    with open(out / ".runner.lock", "w") as held:  # another run holds the folder
        fcntl.flock(held, fcntl.LOCK_EX)
        assert main(["00", "--out", str(out)]) == 2
    assert "another `make course`" in capsys.readouterr().err
    assert not (out / "00_setup.ipynb").exists()
