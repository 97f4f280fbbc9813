"""The measured parts of the benchmark, one module each; bench.run decides which arm runs which."""
