"""Entry point: `python run_webhook.py` runs the service; gunicorn serves `run_webhook:app`."""

import sys

from webhooks.app import create_app
from webhooks.cli import main

app = create_app() if __name__ != "__main__" else None

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))
