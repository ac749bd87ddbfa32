"""`iagente db`: the SQL archive's schema (upgrade, downgrade, current) and its retention job.

The worker migrates the schema itself when it starts (and waits while the database is away);
`iagente db upgrade` does it beforehand, as a deployment step, without Redis.
"""

from __future__ import annotations

import argparse
import json
import sys

from sqlalchemy.exc import SQLAlchemyError

from integrations.archive import database
from webhooks.services import build_archive_store, retention_policy
from webhooks.settings import Settings


def run(args: argparse.Namespace, settings: Settings, prog: str) -> int:
    """Do the `iagente db <action>` the arguments name; 1 when the database can't be reached."""
    store = build_archive_store(settings)
    where = store.engine.url.render_as_string(hide_password=True)
    try:
        if args.action == "upgrade":
            database.upgrade(store.engine, args.revision)
            print(f"archive at revision {database.revision(store.engine)} ({where})")
        elif args.action == "downgrade":
            database.downgrade(store.engine, args.revision)
            print(f"archive at revision {database.revision(store.engine)} ({where})")
        elif args.action == "current":
            current, newest = database.revision(store.engine), database.head()
            state = "up to date" if current == newest else f"the newest is {newest}"
            print(f"archive at revision {current} ({where}): {state}")
        elif args.action == "purge":
            policy = retention_policy(settings)
            before = policy.unconverted_before()
            if before is None:
                print("UNCONVERTED_RETENTION_DAYS is 0: conversations are kept for ever")
            counts = store.ready().purge(
                before=before, hold=policy.hold, held_since=policy.held_since()
            )
            print(json.dumps({"deleted": counts}, sort_keys=True))
    except SQLAlchemyError as exc:
        print(
            f"{prog} db {args.action}: the archive database ({where}) failed: {exc}",
            file=sys.stderr,
        )
        return 1
    finally:
        store.engine.dispose()
    return 0
