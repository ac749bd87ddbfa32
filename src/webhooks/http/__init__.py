"""The HTTP surface: one Blueprint per concern (providers, admin and its OpenAPI, status)."""
