"""Side-by-side benchmarks; run ``python benchmarks/run.py``."""
