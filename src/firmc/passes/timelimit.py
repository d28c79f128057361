"""A wall-clock limit for SymPy work: SymPy cannot be told to stop, so a SIGALRM interrupts it.

Example:
    >>> import time
    >>> try:
    ...     with time_limit(0.05):
    ...         time.sleep(1.0)
    ... except Timeout:
    ...     print("stopped")
    stopped
"""

from __future__ import annotations

import gc
import signal
import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from .context import Context


class Timeout(TimeoutError):
    """SymPy work ran past its time limit."""


# ------------------------------------------------------------------------------------------------ time limit
class _Alarm:
    armed = True
    collecting = False


@contextmanager
def time_limit(seconds: float, ctx: Context | None = None) -> Iterator[None]:
    """Run the body for at most ``seconds`` of wall time, then raise the private ``Timeout`` inside it.

    Uses ``signal.setitimer`` + SIGALRM in the main thread on POSIX (the previous handler and a pending outer
    timer are restored afterwards; the alarm repeats every 20 ms past the deadline in case a library swallows
    the first exception); elsewhere the body is not interrupted. The elapsed time is charged to ``ctx`` either
    way. ``seconds <= 0`` raises at once.

    Example:
        >>> with time_limit(1.0):
        ...     x = sum(range(10))
        >>> try:
        ...     with time_limit(0.01):
        ...         while True:
        ...             pass
        ... except TimeoutError:
        ...     print("stopped")
        stopped
    """
    start = time.perf_counter()
    try:
        if seconds <= 0.0:
            raise Timeout("no SymPy time left")
        if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
            yield
            return
        with _alarm(seconds):
            yield
    finally:
        if ctx is not None:
            ctx.charge_sympy(time.perf_counter() - start)


@contextmanager
def _alarm(seconds: float) -> Iterator[None]:
    """SIGALRM after ``seconds`` and every 20 ms after that, raising ``Timeout`` unless the interpreter is in
    a garbage-collector or weak-reference callback (an exception there is printed and lost, and the callback
    left half done): the next alarm tries again."""
    state = _Alarm()

    def in_gc(phase: str, info: Any) -> None:
        state.collecting = phase == "start"

    def handler(signum: int, frame: Any) -> None:
        in_callback = state.collecting or (frame is not None and frame.f_code.co_filename == weakref.__file__)
        if state.armed and not in_callback:
            raise Timeout(f"SymPy took more than {seconds:.3g} s")

    start = time.perf_counter()
    gc.callbacks.append(in_gc)
    previous = signal.signal(signal.SIGALRM, handler)
    outer_delay, outer_interval = signal.setitimer(signal.ITIMER_REAL, seconds, 0.02)
    if 0.0 < outer_delay < seconds:  # an outer limit expires first: keep its deadline
        signal.setitimer(signal.ITIMER_REAL, outer_delay, 0.02)
    try:
        yield
    finally:
        state.armed = False  # from here on the (repeating) alarm is a no-op
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.0)
        finally:
            signal.signal(signal.SIGALRM, previous)
            gc.callbacks.remove(in_gc)
            if outer_delay > 0.0:
                left = outer_delay - (time.perf_counter() - start)
                signal.setitimer(signal.ITIMER_REAL, max(left, 1e-4), outer_interval)
