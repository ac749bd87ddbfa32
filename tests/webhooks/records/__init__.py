"""Tests of the sales record: the archive drainer, its retention job, long periods, the CLI."""
