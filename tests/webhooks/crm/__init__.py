"""Tests of what a turn shows in Chatwoot and the mirror's drainer."""
