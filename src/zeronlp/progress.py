"""Progress for long work: a tqdm bar on a terminal, plain periodic lines otherwise.

Shared by every trainer and long computation so they all report the same way.
"""
from __future__ import annotations

import sys
import time


class Progress:
    """``with Progress(total, desc) as bar: bar.update(n, loss=...)``.

    On a terminal it draws a tqdm bar with the given figures; elsewhere (pipes,
    CI, log files) it prints one line every ``interval`` seconds and at the end.
    ``enabled=False`` silences it.
    """

    def __init__(self, total: int | None, desc: str = "", unit: str = "it", *, enabled: bool = True,
                 stream=None, interval: float = 10.0):
        self.total, self.desc, self.unit = total, desc, unit
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = enabled
        self.interval = interval
        self.count = 0
        self.start = time.perf_counter()
        self._last_print = self.start
        self._figures: dict = {}
        self._bar = None
        if enabled and getattr(self.stream, "isatty", lambda: False)():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=desc, unit=unit, file=self.stream, dynamic_ncols=True,
                             leave=False)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @property
    def elapsed(self) -> float:
        return time.perf_counter() - self.start

    def update(self, n: int = 1, **figures) -> None:
        """Advance by ``n`` and show ``figures`` (e.g. loss=2.3, ppl=130.5)."""
        self.count += n
        self._figures.update(figures)
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.update(n)
            if figures:
                self._bar.set_postfix({k: _fmt(v) for k, v in self._figures.items()}, refresh=False)
            return
        now = time.perf_counter()
        if now - self._last_print >= self.interval:
            self._last_print = now
            self._print_line()

    def write(self, line: str) -> None:
        """Print a line without breaking the bar."""
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.write(line, file=self.stream)
        else:
            print(line, file=self.stream, flush=True)

    def _print_line(self):
        done = f"{self.count}/{self.total}" if self.total else str(self.count)
        rate = self.count / max(self.elapsed, 1e-9)
        eta = ""
        if self.total and self.count:
            eta = f" eta {_clock((self.total - self.count) / max(rate, 1e-9))}"
        figs = " ".join(f"{k} {_fmt(v)}" for k, v in self._figures.items())
        print(f"{self.desc} {done} {self.unit} [{_clock(self.elapsed)}{eta}, {rate:.1f} {self.unit}/s] {figs}".strip(),
              file=self.stream, flush=True)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
        elif self.enabled and self.count:
            self._print_line()
            self.enabled = False


def _fmt(v):
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:.3e}"
    return str(v)


def _clock(seconds: float) -> str:
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m:02d}:{s:02d}"
