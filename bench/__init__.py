"""Benchmarks, run with ``make bench`` (``python -m bench``).

Each ``bench/bench_*.py`` module defines ``run() -> list[Result]``. A result is a
measured rate beside a baseline measured in the same run, so the ratio means
something on any machine.
"""
