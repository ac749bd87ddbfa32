"""The service: settings, the Flask app, the queue and worker, the admin API and the CLI."""
