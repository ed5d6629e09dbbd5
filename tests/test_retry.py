"""The retry helper: what it retries, how long it waits (a fake sleep records it), when it gives up."""

from __future__ import annotations

import asyncio
import email.utils
import inspect
import time

import httpx
import pytest
from huggingface_hub.errors import HfHubHTTPError, InferenceTimeoutError

from course_utils.retry import is_retryable, retry_after_seconds, with_retries

URL = "http://127.0.0.1/v1/chat/completions"


def http_error(status: int, headers: dict | None = None, body: dict | None = None) -> HfHubHTTPError:
    response = httpx.Response(status, headers=headers or {}, json=body or {"error": "x"},
                              request=httpx.Request("POST", URL))
    return HfHubHTTPError(f"{status} error", response=response)


class Flaky:
    """Raises the given errors in turn, then returns 'ok'."""

    def __init__(self, *errors):
        self.errors = list(errors)
        self.calls = 0

    def __call__(self, *args, **kwargs):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return ("ok", args, kwargs)


def test_waits_what_retry_after_says_then_succeeds():
    waits, said = [], []
    fn = Flaky(http_error(429, {"Retry-After": "3"}), http_error(429, {"Retry-After": "0.5"}))
    assert with_retries(fn, sleep=waits.append, on_retry=said.append)(1, k=2) == ("ok", (1,), {"k": 2})
    assert waits == [3.0, 0.5] and fn.calls == 3
    assert "HTTP 429" in said[0] and "Retry-After" in said[0]


def test_retry_after_as_an_http_date():
    when = email.utils.formatdate(time.time() + 20, usegmt=True)
    assert 15 <= retry_after_seconds(http_error(429, {"Retry-After": when})) <= 20


def test_exponential_backoff_without_retry_after():
    waits = []
    fn = Flaky(*(http_error(502) for _ in range(3)))
    with_retries(fn, attempts=4, initial=1.0, sleep=waits.append, on_retry=None)()
    assert len(waits) == 3
    for k, wait in enumerate(waits):
        assert 2**k <= wait <= 1.1 * 2**k  # doubling, plus at most 10% jitter


def test_backoff_waits_are_capped():
    waits = []
    with_retries(Flaky(*(http_error(502) for _ in range(4))), initial=4, max_wait=5, sleep=waits.append,
                 on_retry=None)()
    assert waits[0] <= 4.4 and waits[1:] == [5, 5, 5]


def test_a_retry_after_above_max_wait_stops_instead_of_retrying_early():
    error = http_error(429, {"Retry-After": "120"})
    fn, waits = Flaky(error), []
    with pytest.raises(HfHubHTTPError) as err:
        with_retries(fn, max_wait=30, sleep=waits.append, on_retry=None)()
    assert err.value is error and fn.calls == 1 and waits == []


@pytest.mark.parametrize("junk", ["soon", "Mon, 32 Foo", "nan", "inf", "in a while"])
def test_a_malformed_retry_after_is_treated_as_absent(junk):
    assert retry_after_seconds(http_error(429, {"Retry-After": junk})) is None
    waits = []
    fn = Flaky(http_error(429, {"Retry-After": junk}), http_error(429, {"Retry-After": junk}))
    assert with_retries(fn, initial=1.0, sleep=waits.append, on_retry=None)()[0] == "ok"
    assert fn.calls == 3 and 1 <= waits[0] <= 1.1 and 2 <= waits[1] <= 2.2  # plain backoff


def test_a_retry_after_date_without_a_zone_is_utc(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Tokyo")  # a naive datetime would be read as local time: 9 hours off
    time.tzset()
    try:
        when = email.utils.formatdate(time.time() + 20, usegmt=True).replace("GMT", "-0000")
        assert when.endswith("-0000")
        assert 15 <= retry_after_seconds(http_error(429, {"Retry-After": when})) <= 20
    finally:
        monkeypatch.undo()
        time.tzset()


def test_async_functions_are_retried_with_asyncio_sleep():
    calls, ticks = [], []

    async def embed(text, model=None):
        calls.append(text)
        if len(calls) < 3:
            raise http_error(429, {"Retry-After": "0.2"})
        return [0.1, 0.2]

    async def ticker():  # runs only if the retry waits with asyncio.sleep, not time.sleep
        for _ in range(20):
            ticks.append(time.monotonic())
            await asyncio.sleep(0.02)

    async def main():
        call = with_retries(embed, on_retry=None)
        assert inspect.iscoroutinefunction(call)
        start = time.monotonic()
        result, _ = await asyncio.gather(call("hi", model="m"), ticker())
        return result, time.monotonic() - start

    result, elapsed = asyncio.run(main())
    assert result == [0.1, 0.2] and calls == ["hi", "hi", "hi"] and elapsed >= 0.4
    assert len(ticks) == 20 and ticks[-1] - ticks[0] < 0.6  # the ticker kept running during the waits


def test_async_gives_up_with_the_last_error():
    async def always():
        raise http_error(503, {"Retry-After": "0"})

    with pytest.raises(HfHubHTTPError):
        asyncio.run(with_retries(always, attempts=2, on_retry=None)())


@pytest.mark.parametrize("make", [
    lambda: httpx.ConnectError("refused", request=httpx.Request("POST", URL)),
    lambda: httpx.RemoteProtocolError("closed mid-answer", request=httpx.Request("POST", URL)),
    lambda: __import__("openai").APIConnectionError(request=httpx.Request("POST", URL)),
    lambda: ConnectionResetError("reset"),
])
def test_connection_errors_are_retried(make):
    error = make()
    assert is_retryable(error)
    waits = []
    assert with_retries(Flaky(error), initial=0.5, sleep=waits.append, on_retry=None)()[0] == "ok"
    assert len(waits) == 1


def test_503_estimated_time_is_honoured():
    waits = []
    with_retries(Flaky(http_error(503, body={"error": "loading", "estimated_time": 2.5})), sleep=waits.append,
                 on_retry=None)()
    assert waits == [2.5]


@pytest.mark.parametrize("status", [400, 401, 403, 404, 422])
def test_client_errors_are_not_retried(status):
    fn, waits = Flaky(http_error(status)), []
    with pytest.raises(HfHubHTTPError):
        with_retries(fn, sleep=waits.append, on_retry=None)()
    assert fn.calls == 1 and waits == []


def test_gives_up_after_the_last_attempt_with_the_last_error():
    errors = [http_error(429, {"Retry-After": "1"}) for _ in range(5)]
    fn, waits = Flaky(*errors), []
    with pytest.raises(HfHubHTTPError) as err:
        with_retries(fn, attempts=3, sleep=waits.append, on_retry=None)()
    assert err.value is errors[2] and fn.calls == 3 and waits == [1.0, 1.0]


def test_timeouts_are_retried_and_other_exceptions_are_not():
    assert is_retryable(InferenceTimeoutError("slow")) and not is_retryable(ValueError("bad"))
    waits = []
    call = with_retries(Flaky(InferenceTimeoutError("slow")), initial=0.5, sleep=waits.append, on_retry=None)
    assert call()[0] == "ok"
    assert len(waits) == 1 and 0.5 <= waits[0] <= 0.55


def test_openai_errors_work_too():
    import openai

    response = httpx.Response(429, headers={"retry-after": "2"}, request=httpx.Request("POST", URL))
    error = openai.RateLimitError("rate limited", response=response, body=None)
    waits = []
    assert with_retries(Flaky(error), sleep=waits.append, on_retry=None)()[0] == "ok"
    assert waits == [2.0]


@pytest.mark.parametrize("attempts", [0, -1, 1.5])
def test_bad_attempts_is_a_clear_error(attempts):
    with pytest.raises(ValueError, match="attempts"):
        with_retries(Flaky(), attempts=attempts)
