"""Retry hosted-inference calls the polite way: exponential backoff that honours `Retry-After`.

Built on tenacity (a maintained retry library), for any client whose errors carry the HTTP response
(`huggingface_hub`'s HfHubHTTPError, `openai`'s APIStatusError, `httpx`'s HTTPStatusError):

    from course_utils.retry import with_retries

    embed = with_retries(client.feature_extraction, attempts=4)
    vector = embed("some text", model=...)

Retried: 429 (rate limited), 500/502/503/504 (overloaded, loading, gateway) and timeouts. Not retried: 4xx
errors such as 401, 403, 404 or 422, which the same request will meet again. The wait before retry k is the
server's Retry-After (or a 503's `estimated_time`) when it sends one, else `initial * 2**(k-1)` seconds with a
little random jitter; never more than `max_wait`.
"""

from __future__ import annotations

import email.utils
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


def is_retryable(exc: BaseException) -> bool:
    """Worth another try: a rate limit, a server-side error, or a timeout."""
    return status_of(exc) in RETRY_STATUSES or is_timeout(exc)


def retry_after_seconds(exc: BaseException, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: `Retry-After` (seconds or an HTTP date), or a 503's estimated_time."""
    response = _response(exc)
    if response is None:
        return None
    value = (response.headers.get("retry-after") or "").strip()
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
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
    """tenacity wait: the server's Retry-After when given, else exponential backoff with jitter; capped."""

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


def _describe(retry_state: tenacity.RetryCallState) -> str:
    exc = retry_state.outcome.exception()
    status = status_of(exc)
    what = f"HTTP {status}" if status else type(exc).__name__
    wait = retry_state.next_action.sleep if retry_state.next_action else 0.0
    source = "Retry-After" if retry_after_seconds(exc) is not None else "backoff"
    return f"attempt {retry_state.attempt_number} failed ({what}); waiting {wait:.2f} s ({source})"


def retrying(attempts: int = 5, initial: float = 1.0, max_wait: float = 30.0,
             sleep: Callable[[float], Any] = time.sleep,
             on_retry: Callable[[str], Any] | None = print) -> tenacity.Retrying:
    """A tenacity `Retrying` with the course's policy; `sleep` is injectable (tests pass a fake clock)."""
    if not isinstance(attempts, int) or attempts < 1:
        raise ValueError(f"attempts={attempts!r}: give the total number of tries, at least 1.")
    before_sleep = (lambda state: on_retry(_describe(state))) if on_retry else None
    return tenacity.Retrying(stop=tenacity.stop_after_attempt(attempts), wait=wait_retry_after(initial, max_wait),
                             retry=tenacity.retry_if_exception(is_retryable), sleep=sleep,
                             before_sleep=before_sleep, reraise=True)


def with_retries(fn: Callable, attempts: int = 5, initial: float = 1.0, max_wait: float = 30.0,
                 sleep: Callable[[float], Any] = time.sleep, on_retry: Callable[[str], Any] | None = print) -> Callable:
    """`fn` wrapped so retryable errors are retried; after the last attempt the last error is raised."""
    policy = retrying(attempts, initial, max_wait, sleep, on_retry)

    def call(*args, **kwargs):
        return policy(fn, *args, **kwargs)

    call.__wrapped__ = fn
    call.__name__ = getattr(fn, "__name__", "call")
    return call
