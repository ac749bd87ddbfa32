"""Tests of the integrations package: clients of the systems outside the process."""
