"""Timing helpers: wall-clock throughput and client CPU per operation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import NamedTuple


class Result(NamedTuple):
    label: str
    ops: int
    seconds: float
    cpu_seconds: float

    @property
    def ops_per_second(self) -> float:
        return self.ops / self.seconds if self.seconds else 0.0

    @property
    def cpu_us_per_op(self) -> float:
        return self.cpu_seconds / self.ops * 1e6 if self.ops else 0.0


def measure(label: str, ops: int, run: Callable[[], None]) -> Result:
    """Run ``run`` once; it performs ``ops`` operations."""
    wall = time.perf_counter()
    cpu = time.process_time()
    run()
    return Result(label, ops, time.perf_counter() - wall, time.process_time() - cpu)


def table(title: str, rows: list[Result], reference: str | None = None) -> None:
    """Print results with ratios against the row labelled ``reference``."""
    print(f"\n{title}")
    ref = next((r for r in rows if r.label == reference), None)
    header = f"  {'client':<34} {'ops/s':>10} {'CPU us/op':>10}"
    if ref is not None:
        header += f" {'ops/s ratio':>12} {'CPU ratio':>10}"
    print(header)
    for row in rows:
        line = (
            f"  {row.label:<34} {row.ops_per_second:>10.0f} {row.cpu_us_per_op:>10.1f}"
        )
        if ref is not None:
            ratio = row.ops_per_second / ref.ops_per_second if ref.ops_per_second else 0
            cpu_ratio = (
                row.cpu_us_per_op / ref.cpu_us_per_op if ref.cpu_us_per_op else 0
            )
            line += f" {ratio:>12.2f} {cpu_ratio:>10.2f}"
        print(line)
