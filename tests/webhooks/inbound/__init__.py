"""Tests of provider payloads turned into neutral messages, signatures first."""
