"""Benchmarks (not part of the default test run, which collects tests/ only).

Run: .venv/bin/python -m pytest benchmarks --benchmark-enable --benchmark-json=benchmarks/results/latest.json
Saved results live in benchmarks/results/ (one JSON per benchmark, committed when a goal is re-measured).
"""
