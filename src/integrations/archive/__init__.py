"""The SQL archive: the durable sales record (customers, messages, consents, quotes, leads...)."""

import logging

# Alembic announces each of its plugins at INFO when it is imported, in every process: quiet
# before any module of this package imports it. The migrations themselves are still logged.
logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
