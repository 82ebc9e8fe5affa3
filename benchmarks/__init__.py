"""Performance benchmarks: `make bench` (python -m benchmarks.run) writes docs/BENCHMARKS.md.

Not part of `make test`: a run takes minutes, starts the real assistant and
(unless --skip-setup) sets up a fresh clone, and its numbers depend on the machine.
"""
