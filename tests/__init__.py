"""The test suite, laid out like src: agent, integrations, webhooks, system, support."""
