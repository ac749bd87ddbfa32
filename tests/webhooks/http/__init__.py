"""Tests of the HTTP blueprints through Flask's test client."""
