"""Lesson 05's exercise checkers (course_utils/checks/lesson05.py): solutions pass, and wrong retry policies are
refused with a reason. Checker 05.3 starts its own course inference server."""

from __future__ import annotations

import time

import tenacity
from huggingface_hub.errors import HfHubHTTPError

from course_offline.inference import split_model
from course_utils.retry import with_retries


def test_checkers_accept_solutions_and_explain_wrong_answers(hub, capsys):
    from course_utils.checks import check
    from course_utils.checks.lesson05 import LESSON05_SENTENCES
    from course_utils.retry import with_retries

    assert check("05.1", split_model) and not check("05.1", lambda s: tuple(s.split(":")))
    assert not check("05.2", len(LESSON05_SENTENCES)) and not check("05.2", "1")
    assert sum(check("05.2", i) for i in range(len(LESSON05_SENTENCES))) == 1

    def no_retry(client, text, model):
        return client.feature_extraction(text, model=model)

    def retries_everything(client, text, model):
        for _ in range(3):
            try:
                return client.feature_extraction(text, model=model)
            except HfHubHTTPError:
                time.sleep(0.5)
        return client.feature_extraction(text, model=model)

    def polite(client, text, model):
        return with_retries(client.feature_extraction, attempts=4, on_retry=None)(text, model=model)

    def retries_404_too(client, text, model):
        from course_utils import retry

        policy = retry.retrying(attempts=4, on_retry=None).copy(retry=tenacity.retry_if_exception_type(HfHubHTTPError))
        return policy(client.feature_extraction, text, model=model)

    assert not check("05.3", no_retry) and not check("05.3", retries_everything)
    assert not check("05.3", retries_404_too)
    assert check("05.3", polite)
    out = capsys.readouterr().out
    assert "no suffix" in out and "429" in out and "retried a 404" in out


def _check_053(answer, capsys) -> tuple[bool, str]:
    from course_utils.checks import check

    ok = check("05.3", answer)
    return ok, capsys.readouterr().out


def test_checker_053_rejects_a_429_only_retry(hub, capsys):
    def only_429(client, text, model):  # waits what Retry-After says, but a 503 surfaces at once
        for i in range(5):
            try:
                return client.feature_extraction(text, model=model)
            except HfHubHTTPError as exc:
                if exc.response.status_code != 429 or i == 4:
                    raise
                time.sleep(float(exc.response.headers["retry-after"]))

    ok, out = _check_053(only_429, capsys)
    assert not ok and "503" in out


def test_checker_053_rejects_more_than_five_attempts(hub, capsys):
    def eight(client, text, model):
        return with_retries(client.feature_extraction, attempts=8, on_retry=None)(text, model=model)

    ok, out = _check_053(eight, capsys)
    assert not ok and "8 attempts" in out and "at most 5" in out


def test_checker_053_rejects_a_fixed_sleep(hub, capsys):
    def fixed(seconds):
        def answer(client, text, model):
            for i in range(5):
                try:
                    return client.feature_extraction(text, model=model)
                except HfHubHTTPError as exc:
                    if exc.response.status_code not in (429, 503) or i == 4:
                        raise
                    time.sleep(seconds)
        return answer

    ok, out = _check_053(fixed(0.5), capsys)  # shorter than the second Retry-After (1.2 s)
    assert not ok and "Retry-After said 1.2" in out
    ok, out = _check_053(fixed(1.3), capsys)  # longer than both: still ignores the header
    assert not ok and "fixed sleep" in out


def test_checker_053_explains_a_retry_error_instead_of_crashing(hub, capsys):
    def no_reraise(client, text, model):  # tenacity without reraise=True raises RetryError at the end
        from course_utils.retry import retry_after_seconds, status_of

        policy = tenacity.Retrying(stop=tenacity.stop_after_attempt(5),
                                   wait=lambda state: retry_after_seconds(state.outcome.exception()) or 1,
                                   retry=tenacity.retry_if_exception(lambda e: status_of(e) in (429, 503)))
        return policy(client.feature_extraction, text, model=model)

    ok, out = _check_053(no_reraise, capsys)
    assert not ok and "[TRY AGAIN]" in out and "reraise=True" in out and "RetryError" in out
