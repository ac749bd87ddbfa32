"""Everything kept in Redis: checkpoints, transcript, queue helpers, outbox, locks, stats."""
