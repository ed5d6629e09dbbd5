"""Retry hosted-inference calls the polite way: exponential backoff that honours `Retry-After`.

Taught in lesson 05, section 8.2: the lesson writes the policy in a few lines of tenacity, then imports this
module's `with_retries` and checks that both make the same requests against the practice server.

Built on tenacity (a maintained retry library), for any client whose errors carry the HTTP response
(`huggingface_hub`'s HfHubHTTPError, `openai`'s APIStatusError, `httpx`'s HTTPStatusError):

    from course_utils.retry import with_retries

    embed = with_retries(client.feature_extraction, attempts=4)
    vector = embed("some text", model=...)

Retried: 429 (rate limited), 500/502/503/504 (overloaded, loading, gateway), timeouts and connection errors
(refused, reset, dropped mid-answer). Not retried: 4xx errors such as 401, 403, 404 or 422, which the same
request will meet again. The wait before retry k is the server's Retry-After (or a 503's `estimated_time`) when
it sends one, else `initial * 2**(k-1)` seconds with a little random jitter, capped at `max_wait`. If the server
asks for more than `max_wait`, it gives up (raises that error) instead of retrying early. Async functions
(`AsyncInferenceClient` methods) are retried with `asyncio.sleep`: `await with_retries(async_fn)(...)`.
"""

from __future__ import annotations

import asyncio
import datetime
import email.utils
import functools
import inspect
import math
import random
import time
from collections.abc import Callable
from typing import Any

import tenacity

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


def _response(exc: BaseException):
    response = getattr(exc, "response", None)
    return response if getattr(response, "status_code", None) is not None else None


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an exception carries, if any."""
    response = _response(exc)
    return int(response.status_code) if response is not None else None


def is_timeout(exc: BaseException) -> bool:
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"InferenceTimeoutError", "TimeoutException", "APITimeoutError", "TimeoutError"})


def is_connection_error(exc: BaseException) -> bool:
    """The connection failed (refused, reset, closed mid-answer): no HTTP status came back."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    return bool(names & {"ConnectError", "RemoteProtocolError", "ReadError", "WriteError", "APIConnectionError",
                         "ConnectionError"})


def is_retryable(exc: BaseException) -> bool:
    """Worth another try: a rate limit, a server-side error, a timeout or a failed connection."""
    return status_of(exc) in RETRY_STATUSES or is_timeout(exc) or is_connection_error(exc)


def retry_after_seconds(exc: BaseException, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: `Retry-After` (seconds or an HTTP date), or a 503's estimated_time."""
    response = _response(exc)
    if response is None:
        return None
    value = (response.headers.get("retry-after") or "").strip()
    if value:
        try:
            seconds = float(value)
        except ValueError:
            seconds = None
        else:  # "nan" or "inf" is no usable wait: treat it as absent
            return max(0.0, seconds) if math.isfinite(seconds) else None
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):  # junk such as "soon": treat as absent
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:  # "-0000" means UTC with no zone known (RFC 5322); HTTP dates are UTC
                parsed = parsed.replace(tzinfo=datetime.UTC)
            return max(0.0, parsed.timestamp() - (time.time() if now is None else now))
    if response.status_code == 503:
        try:
            body = response.json()
        except Exception:  # no body, or not JSON (a streamed response that was never read)
            return None
        estimated = body.get("estimated_time") if isinstance(body, dict) else None
        if isinstance(estimated, (int, float)) and not isinstance(estimated, bool):
            return max(0.0, float(estimated))
    return None


class wait_retry_after(tenacity.wait.wait_base):
    """tenacity wait: the server's Retry-After when given, else exponential backoff with jitter; capped.

    (A Retry-After above max_wait never reaches this wait: `stop_if_asked_too_long` stops first.)"""

    def __init__(self, initial: float = 1.0, max_wait: float = 30.0, jitter: float = 0.1,
                 rng: random.Random | None = None):
        if initial < 0 or max_wait < 0 or jitter < 0:
            raise ValueError("initial, max_wait and jitter must be >= 0.")
        self.initial, self.max_wait, self.jitter = initial, max_wait, jitter
        self.rng = rng or random.Random()

    def __call__(self, retry_state: tenacity.RetryCallState) -> float:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        if asked is not None:
            return min(asked, self.max_wait)
        backoff = self.initial * 2 ** (retry_state.attempt_number - 1)
        return min(backoff * (1 + self.rng.uniform(0, self.jitter)), self.max_wait)


class stop_if_asked_too_long(tenacity.stop.stop_base):
    """tenacity stop: give up when the server asks (Retry-After) for a longer wait than `max_wait`.

    Retrying sooner than asked would only meet the same refusal; the caller gets the error and can decide."""

    def __init__(self, max_wait: float):
        self.max_wait = max_wait

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        exc = retry_state.outcome.exception() if retry_state.outcome else None
        asked = retry_after_seconds(exc) if exc is not None else None
        return asked is not None and asked > self.max_wait


def _describe(retry_state: tenacity.RetryCallState) -> str:
    exc = retry_state.outcome.exception()
    status = status_of(exc)
    what = f"HTTP {status}" if status else type(exc).__name__
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    source = "Retry-After" if retry_after_seconds(exc) is not None else "backoff"
    return f"attempt {retry_state.attempt_number} failed ({what}); waiting {wait:.2f} s ({source})"


def _policy(attempts: int, initial: float, max_wait: float, on_retry: Callable[[str], Any] | None) -> dict:
    if not isinstance(attempts, int) or isinstance(attempts, bool) or attempts < 1:
        raise ValueError(f"attempts={attempts!r}: give the total number of tries, at least 1.")
    before_sleep = (lambda state: on_retry(_describe(state))) if on_retry else None
    return {"stop": tenacity.stop_after_attempt(attempts) | stop_if_asked_too_long(max_wait),
            "wait": wait_retry_after(initial, max_wait), "retry": tenacity.retry_if_exception(is_retryable),
            "before_sleep": before_sleep, "reraise": True}


def retrying(attempts: int = 5, initial: float = 1.0, max_wait: float = 30.0,
             sleep: Callable[[float], Any] = time.sleep,
             on_retry: Callable[[str], Any] | None = print) -> tenacity.Retrying:
    """A tenacity `Retrying` with the course's policy; `sleep` is injectable (tests pass a fake clock).

    Gives up after `attempts` tries, or at once if the server asks for more than `max_wait` seconds."""
    return tenacity.Retrying(sleep=sleep, **_policy(attempts, initial, max_wait, on_retry))


def async_retrying(attempts: int = 5, initial: float = 1.0, max_wait: float = 30.0,
                   sleep: Callable[[float], Any] = asyncio.sleep,
                   on_retry: Callable[[str], Any] | None = print) -> tenacity.AsyncRetrying:
    """The same policy for coroutines: waits with `asyncio.sleep`, so other tasks run meanwhile."""
    return tenacity.AsyncRetrying(sleep=sleep, **_policy(attempts, initial, max_wait, on_retry))


def with_retries(fn: Callable, attempts: int = 5, initial: float = 1.0, max_wait: float = 30.0,
                 sleep: Callable[[float], Any] | None = None,
                 on_retry: Callable[[str], Any] | None = print) -> Callable:
    """`fn` wrapped so retryable errors are retried; after the last attempt the last error is raised.

    Gives up (raising that error) if the server asks for more than `max_wait` seconds. An async `fn` (e.g.
    `AsyncInferenceClient.feature_extraction`) gives an async wrapper that waits with `asyncio.sleep` (or an
    async `sleep` you pass); await it."""
    if inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(type(fn).__call__):
        policy = async_retrying(attempts, initial, max_wait, sleep or asyncio.sleep, on_retry)

        @functools.wraps(fn)
        async def acall(*args, **kwargs):
            return await policy(fn, *args, **kwargs)

        return acall
    policy = retrying(attempts, initial, max_wait, sleep or time.sleep, on_retry)

    @functools.wraps(fn)
    def call(*args, **kwargs):
        return policy(fn, *args, **kwargs)

    return call
