"""Entry point: `python run_webhook.py` runs the service; gunicorn serves `run_webhook:app`."""

import sys
from pathlib import Path

# A checkout works without `pip install -e .`, as long as the dependencies are there.
sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))

try:
    from webhooks.app import create_app
    from webhooks.cli.main import main, with_redis
    from webhooks.settings import SettingsError, load_settings
except ImportError as exc:
    sys.exit(
        f"run_webhook.py: {exc} - the dependencies are not installed for {sys.executable}.\n"
        "Run ./run (it creates .venv and installs them), or activate .venv first "
        "(. .venv/bin/activate) and run python run_webhook.py again."
    )

if __name__ == "__main__":
    sys.exit(main(["serve", *sys.argv[1:]]))

try:
    # gunicorn run_webhook:app with REDIS_URL unset: the embedded Redis, as `iagente serve`.
    app = create_app(with_redis(load_settings()))
except SettingsError as exc:
    sys.exit(f"run_webhook.py: {exc}")
