"""The SQL archive: the durable sales record (customers, messages, consents, quotes, leads...)."""
