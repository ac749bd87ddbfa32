"""Tests of the benchmarks' own plumbing: what they measure with answers as the real thing."""
