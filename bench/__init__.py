"""Performance benchmarks of SPEC §8: `bench/run [--quick]` (see bench/README.md)."""
