"""Tests of the agent package: stages, routing, quotes, texts and the compiled graph."""
