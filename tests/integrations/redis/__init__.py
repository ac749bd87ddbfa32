"""Tests of the Redis stores and the checkpointer, on a real Redis server."""
