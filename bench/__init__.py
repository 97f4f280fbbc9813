"""Budget Pay's benchmark: `make bench` (or `python -m bench.run`). See docs/performance.md."""
