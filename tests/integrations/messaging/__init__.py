"""Tests of the Meta and Twilio senders and media downloads."""
