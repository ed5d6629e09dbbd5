"""Measuring quantized models (lesson 08): size on disk, peak memory, memory bandwidth, the decoding speed limit.

    from course_utils.quantization import disk_bytes, PeakMemory, memory_bandwidth, decode_bound

    size = disk_bytes("build/quantization/int8")         # a file, or every file in a folder
    with PeakMemory() as peak:                           # resident memory above what the process held before
        model = AutoModelForCausalLM.from_pretrained(...)
    peak.mb                                               # None (and peak.why) where it cannot be measured
    bandwidth = memory_bandwidth()                        # GB/s of a large-array copy, bytes read + bytes written
    decode_bound(bandwidth["gb_per_s"], weight_bytes)     # tokens/s if every weight is read once per token

Why not `model.get_memory_footprint()`: it counts the parameters PyTorch sees, which for torchao's and some other
quantized layers is the size before quantization; the saved files say what a format really costs.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import re
import time
from pathlib import Path

__all__ = ["PeakMemory", "decode_bound", "disk_bytes", "memory_bandwidth", "rss_bytes"]

_STATUS = Path("/proc/self/status")
_CLEAR_REFS = Path("/proc/self/clear_refs")


def disk_bytes(path: str | Path) -> int:
    """Bytes on disk of a file, or of every file under a folder (what a download or a copy moves)."""
    path = Path(path)
    if path.is_file():
        return path.stat().st_size
    if not path.is_dir():
        raise FileNotFoundError(f"{path} does not exist")
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def _status_kb(field: str) -> int | None:
    try:
        found = re.search(rf"^{field}:\s+(\d+) kB", _STATUS.read_text(), re.MULTILINE)
    except OSError:
        return None
    return int(found.group(1)) if found else None


def rss_bytes() -> int | None:
    """This process's resident memory now (Linux); None elsewhere."""
    kb = _status_kb("VmRSS")
    return None if kb is None else kb * 1024


def _release_free_memory() -> None:
    """Collect garbage and hand freed heap memory back to the system (glibc), so resident memory is what is live."""
    gc.collect()
    libc_name = ctypes.util.find_library("c")
    if libc_name:
        try:
            ctypes.CDLL(libc_name).malloc_trim(0)
        except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to trim
            pass


class PeakMemory:
    """Peak resident memory of this process inside a `with` block, above what it held when the block began.

    Linux only: the kernel's high-water mark (VmHWM) is reset on entry by writing 5 to /proc/self/clear_refs. Before
    that, garbage is collected and freed heap memory returned to the system, so memory that earlier cells freed
    is not silently reused (which would hide part of the peak). Elsewhere `mb` is None and `why` says so.
    """

    def __init__(self):
        self.baseline: int | None = None
        self.peak: int | None = None
        self.why: str | None = None

    def __enter__(self) -> PeakMemory:
        _release_free_memory()
        self.baseline = rss_bytes()
        try:
            _CLEAR_REFS.write_text("5")
        except OSError as error:
            self.why = f"the peak cannot be reset on this system ({type(error).__name__}: {error})"
        if self.baseline is None:
            self.why = "resident memory is read from /proc/self/status, which this system does not have"
        return self

    def __exit__(self, *exc) -> None:
        hwm = _status_kb("VmHWM")
        if self.why is None and hwm is not None:
            self.peak = hwm * 1024

    @property
    def mb(self) -> float | None:
        """Peak resident memory above the baseline, in MB (1e6 bytes)."""
        if self.peak is None or self.baseline is None:
            return None
        return max(self.peak - self.baseline, 0) / 1e6


def memory_bandwidth(mb: int = 1024, repeats: int = 5) -> dict:
    """This machine's memory bandwidth, measured once: copy a `mb`-MB array into another, `repeats` times.

    A copy reads every byte once and writes it once, so it moves 2 x mb per run (the STREAM "copy" convention);
    the best run is kept (the least disturbed by other programs). Make `mb` several times the last-level cache,
    or the copy runs from the cache and overstates the memory's speed. numpy's copy runs on one thread.
    """
    import numpy as np

    n = int(mb * 1e6) // 8
    source = np.ones(n, dtype=np.float64)
    target = np.empty_like(source)
    np.copyto(target, source)  # touch every page first: the first write to fresh memory costs page faults
    times = []
    for _ in range(int(repeats)):
        start = time.perf_counter()
        np.copyto(target, source)
        times.append(time.perf_counter() - start)
    moved = 2 * source.nbytes
    return {"gb_per_s": moved / min(times) / 1e9, "median_gb_per_s": moved / float(np.median(times)) / 1e9,
            "array_mb": source.nbytes / 1e6, "repeats": int(repeats)}


def decode_bound(gb_per_s: float, bytes_per_token: float) -> float:
    """The most tokens per second decoding can reach if every weight is read from memory once per token."""
    if bytes_per_token <= 0:
        raise ValueError("bytes_per_token must be positive")
    return gb_per_s * 1e9 / bytes_per_token
