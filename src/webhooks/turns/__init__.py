"""Customer turns: the conversation service, the worker, channels and operator messages."""
