"""Tests of the conversation service and the worker."""
