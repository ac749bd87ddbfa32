"""Outbound messaging: the Sender protocol and its errors, and one sender per provider."""
