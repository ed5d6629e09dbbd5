"""course_utils/threads.py: COURSE_THREADS, read in one place (and used by course_utils.serving)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("value", "threads"), [("3", 3), (" 2 ", 2), ("0", None), ("many", None), ("", None)])
def test_course_threads_is_read_in_one_place(monkeypatch, value, threads):
    import course_utils.serving as serving
    from course_utils.threads import course_threads

    monkeypatch.setenv("COURSE_THREADS", value)
    assert course_threads() == threads
    if threads is not None:  # otherwise torch's own count
        assert serving._default_threads() == threads
