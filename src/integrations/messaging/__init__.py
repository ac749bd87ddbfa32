"""Outbound messaging: what every sender shares, and one sender per provider.

base.py    the Sender protocol, options and results, the typed error tree
retry.py   the retry policy (stamina), Retry-After
media.py   capped downloads of the media customers send
text.py    splitting long texts, options as numbered text (words given by the caller)
phones.py  E.164 and the one masking rule for phone numbers in logs and errors
meta.py    WhatsApp through Meta's Cloud API;  twilio.py  SMS and WhatsApp through Twilio
"""
