"""Benchmarks (``make bench``): not collected by pytest; numbers go to docs/benchmarks.md."""
