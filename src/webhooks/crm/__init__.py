"""What sales agents see and do in Chatwoot: the operations of a turn, the mirror, the handover."""
