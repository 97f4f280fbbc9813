"""Measuring how the cost of a step grows with its input, for the tests that hold input to
linear time (convention 13). A ratio of CPU times, not an absolute time, so a busy machine
does not make them flake; a ceiling in seconds stops a runaway step as a backstop."""

import math
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

GROWTH = 8
MAX_GROWTH_RATIO = 32  # linear is about 8; the quadratic patterns this replaced measured 64 and more
CEILING_SECONDS = 2.0
REPEATS = 3
MIN_TIMED_SECONDS = 0.001  # each timed block runs this long at 1x at least, so the clock's grain does not matter

Attack = Callable[[int], str]  # an input of about n characters


class TooSlow(Exception):
    pass


@contextmanager
def ceiling(seconds: float) -> Iterator[None]:
    """Interrupt whatever runs past `seconds` (the regex engine checks for signals as it goes)."""

    def interrupt(signum, frame):
        raise TooSlow(f"more than {seconds} s")

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def cpu_time(run: Callable[[str], object], text: str, loops: int) -> float:
    """CPU seconds (not wall time: other processes on the machine do not count) for `loops` runs,
    stopped with TooSlow after CEILING_SECONDS of wall time."""
    with ceiling(CEILING_SECONDS):
        started = time.process_time()
        for _ in range(loops):
            run(text)
        return time.process_time() - started


def growth_ratio(run: Callable[[str], object], attack: Attack, size: int) -> float:
    """How many times longer `run` takes on the attack at GROWTH x `size` than at `size`: the
    best of REPEATS for each, taken in turns so that both sizes see the same machine."""
    small, large = attack(size), attack(size * GROWTH)
    loops = 1
    while (spent := cpu_time(run, small, loops)) < MIN_TIMED_SECONDS and loops < 100_000:
        loops *= 2 if spent == 0 else max(2, math.ceil(MIN_TIMED_SECONDS / spent))
    best_small = best_large = math.inf
    for _ in range(REPEATS):
        best_small = min(best_small, cpu_time(run, small, loops))
        best_large = min(best_large, cpu_time(run, large, loops))
    return best_large / max(best_small, 1e-9)
