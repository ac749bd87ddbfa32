"""Tests of the command line as an operator runs it."""
