"""Timing helpers: `measure` (lesson 03, time per generated token; reused in lesson 04) and `StreamClock`
(lesson 06, time to first token and tokens per second of a streamed reply).

    timing = measure(lambda: model.generate(**inputs, max_new_tokens=20), repeats=5,
                     tokens=lambda out: out.shape[1] - prompt_length)
    timing.median, timing.per_token, timing.summary()

One warm-up call runs first and is not counted (the first call pays for lazy initialisation). The median
of several repeats is reported because single timings on a laptop jump around; min and max show how much.

On a GPU, work is queued and runs asynchronously: pass `sync=torch.cuda.synchronize` so each timed call waits
for the GPU to finish; without it, `measure(lambda: model(**inputs))` times little more than the kernel launches.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Timing:
    """Wall-clock seconds of each repeat of one call, and how many tokens one call produced (if known)."""

    seconds: tuple[float, ...]
    tokens: int | None = None
    result: Any = field(default=None, repr=False, compare=False)  # what the last call returned

    @property
    def repeats(self) -> int:
        return len(self.seconds)

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def min(self) -> float:
        return min(self.seconds)

    @property
    def max(self) -> float:
        return max(self.seconds)

    @property
    def per_token(self) -> float | None:
        """Median seconds per produced token; None when the call produced no token count."""
        return self.median / self.tokens if self.tokens else None

    @property
    def tokens_per_second(self) -> float | None:
        return self.tokens / self.median if self.tokens and self.median > 0 else None

    def summary(self) -> dict:
        """One table row: times in milliseconds, rounded for display."""
        row = {"repeats": self.repeats, "median_ms": round(1e3 * self.median, 2),
               "min_ms": round(1e3 * self.min, 2), "max_ms": round(1e3 * self.max, 2)}
        if self.tokens:
            row.update(tokens=self.tokens, ms_per_token=round(1e3 * self.per_token, 2),
                       tokens_per_s=round(self.tokens_per_second, 1))
        return row


def _whole_number(value) -> int | None:
    """`value` as an int if it is a whole number (an int, a numpy integer or a 0-d tensor; not a bool), else None."""
    from .checks import as_index  # the one reader of "a whole number" answers

    return as_index(value)


def measure(fn: Callable[[], Any], repeats: int = 5, warmup: int = 1,
            tokens: int | Callable[[Any], int] | None = None,
            clock: Callable[[], float] = time.perf_counter,
            sync: Callable[[], Any] | None = None) -> Timing:
    """Call `fn()` `warmup` times untimed, then `repeats` times timed with `clock`.

    `sync` is called after every call of `fn`, inside the timed span: on a GPU pass `torch.cuda.synchronize`
    (e.g. `sync=torch.cuda.synchronize if torch.cuda.is_available() else None`) so the time includes the GPU's work.

    `tokens` is how many tokens one call produces: a number, or a function of what `fn` returned
    (e.g. `lambda out: out.shape[1] - prompt_length`), so the count is measured, not assumed. Every
    timed call must produce the same count; if they differ, per-token time would be misleading.
    """
    if not callable(fn):
        raise TypeError(f"measure() needs a function to call, e.g. measure(lambda: model(**inputs)); got {fn!r}.")
    if sync is not None and not callable(sync):
        raise TypeError(f"sync must be a function to call after each call, e.g. torch.cuda.synchronize; got {sync!r}.")
    n_repeats, n_warmup = _whole_number(repeats), _whole_number(warmup)
    if n_repeats is None or n_repeats < 1:
        raise ValueError(f"repeats must be a whole number >= 1, got {repeats!r}.")
    if n_warmup is None or n_warmup < 0:
        raise ValueError(f"warmup must be a whole number >= 0, got {warmup!r}.")
    if tokens is not None and not callable(tokens):
        n_tokens = _whole_number(tokens)
        if n_tokens is None or n_tokens < 1:
            raise ValueError(f"tokens must be a positive int or a function of fn's result, got {tokens!r}.")
        tokens = n_tokens
    result = None
    for _ in range(n_warmup):
        result = fn()
        if sync is not None:
            sync()
    seconds, counts = [], []
    for _ in range(n_repeats):
        start = clock()
        result = fn()
        if sync is not None:
            sync()
        seconds.append(clock() - start)
        if callable(tokens):
            counts.append(int(tokens(result)))
    if callable(tokens):
        if len(set(counts)) != 1:
            raise ValueError(f"The calls produced different token counts {counts}: fix the length "
                             "(e.g. min_new_tokens=max_new_tokens) so per-token times compare like with like.")
        n_tokens = counts[0] if counts[0] > 0 else None
    else:
        n_tokens = tokens
    return Timing(tuple(seconds), n_tokens, result)


# -- streamed replies (lesson 06: time to first token, tokens per second) ---------------------------------------
@dataclass(frozen=True)
class StreamTiming:
    """When each token (or streamed piece) of one reply arrived, in seconds after the request started."""

    arrivals: tuple[float, ...]

    @property
    def tokens(self) -> int:
        return len(self.arrivals)

    @property
    def first_token_s(self) -> float | None:
        """Time to first token (TTFT): what a user waits before anything appears."""
        return self.arrivals[0] if self.arrivals else None

    @property
    def total_s(self) -> float | None:
        """Total latency: until the last token arrived."""
        return self.arrivals[-1] if self.arrivals else None

    @property
    def tokens_per_second(self) -> float | None:
        """Decoding speed after the first token: (tokens - 1) / (total - TTFT); None with fewer than 2 tokens."""
        if self.tokens < 2 or self.arrivals[-1] <= self.arrivals[0]:
            return None
        return (self.tokens - 1) / (self.arrivals[-1] - self.arrivals[0])

    def summary(self) -> dict:
        """One table row, times in milliseconds."""
        rate = self.tokens_per_second
        return {"ttft_ms": None if self.first_token_s is None else round(1e3 * self.first_token_s, 2),
                "total_ms": None if self.total_s is None else round(1e3 * self.total_s, 2),
                "tokens": self.tokens, "tokens_per_s": None if rate is None else round(rate, 1)}


class StreamClock:
    """Records when tokens arrive, from the moment it is created.

    Pass it as `streamer=` to `model.generate(...)` or a text-generation pipeline (it follows transformers'
    streamer protocol, put/end: the first put is the prompt and is skipped), or call `tick()` for each streamed
    piece of a server's reply. Then `.timing()` gives a StreamTiming.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter):
        self._clock = clock
        self._start = clock()
        self._arrivals: list[float] = []
        self._prompt_seen = False

    def tick(self, count: int = 1) -> None:
        """`count` tokens arrived now."""
        now = self._clock() - self._start
        self._arrivals.extend([now] * count)

    def put(self, value) -> None:
        if not self._prompt_seen:  # generate() hands the prompt to the streamer first
            self._prompt_seen = True
            return
        shape = tuple(getattr(value, "shape", ()))  # (batch,) per decoding step, or (batch, n) for n tokens
        if shape and shape[0] > 1:
            raise ValueError("StreamClock times one sequence at a time: generate with a batch of 1.")
        self.tick(shape[1] if len(shape) == 2 else 1)

    def end(self) -> None:
        pass

    def timing(self) -> StreamTiming:
        return StreamTiming(tuple(self._arrivals))
