"""Tests of the brains: the rules brain's Spanish reading and the llm brain."""
