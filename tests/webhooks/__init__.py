"""Tests of the webhooks package: the service, its logs, metrics and settings."""
