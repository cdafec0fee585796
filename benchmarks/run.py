"""Run the benchmarks and print their tables.

    python benchmarks/run.py            # every section
    python benchmarks/run.py kv async   # chosen sections
    python benchmarks/run.py --quick    # fewer operations

Each section starts its own embedded server in a separate process, runs
our client and the reference (the official ``aerospike`` client, or the
Rust-based ``aerospike-py`` in a virtualenv of its own) in the same run, and
prints throughput, client CPU per operation and their ratios.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SECTIONS = {
    "kv": ("benchmarks.kv", {"ops": 5000}, {"ops": 1000}),
    "async": ("benchmarks.async_kv", {"ops": 5000}, {"ops": 1000}),
    "cluster": (
        "benchmarks.cluster",
        {"ops": 5000},
        {"ops": 1000, "idle_seconds": 3.0},
    ),
    "batch": ("benchmarks.batch", {"records": 50_000}, {"records": 10_000}),
    "scan": ("benchmarks.scan", {}, {"sizes": (10_000, 100_000)}),
    "django": ("benchmarks.django_cache", {"ops": 5000}, {"ops": 1000}),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sections", nargs="*", help=f"any of: {', '.join(SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="fewer operations")
    args = parser.parse_args(argv)
    unknown = [name for name in args.sections if name not in SECTIONS]
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    for name in args.sections or list(SECTIONS):
        module_name, full, quick = SECTIONS[name]
        module = importlib.import_module(module_name)
        print(f"\n=== {name} ===", flush=True)
        module.run(**(quick if args.quick else full))
    return 0


if __name__ == "__main__":
    sys.exit(main())
