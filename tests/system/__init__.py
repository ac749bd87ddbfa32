"""Whole-system tests: the service end to end, the repository and its documentation."""
