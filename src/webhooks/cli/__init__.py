"""The `iagente` command line: serve, worker, chat, check and simulate."""
