"""Benchmarks: they print numbers and write bench/results/*.json; they never fail on speed."""
