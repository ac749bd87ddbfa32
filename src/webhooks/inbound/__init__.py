"""Provider payloads become neutral messages: signatures, parsing, phones, the inbound queue."""
