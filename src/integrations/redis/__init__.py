"""Everything kept in Redis: key layout, checkpoints, transcript, outbox, links, locks, stats.

`keys.py` names every key of a conversation; the stores build their keys through it, and a reset
asks it for all keys of a phone.
"""
