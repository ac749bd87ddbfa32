"""Everything that talks to a system outside the process; imports neither `agent` nor `webhooks`.

messaging/   the Sender protocol and its errors, retries, media, text; Meta and Twilio senders
chatwoot.py  the Chatwoot client (one module: the Chatwoot feature itself is webhooks.crm)
redis/       keys.py (every key of a conversation), the checkpointer and the other stores
"""
