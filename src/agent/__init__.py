"""The sales conversation: graph state, stage nodes, routers, tariff and texts (no I/O)."""
