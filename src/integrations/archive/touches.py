"""The UPDATEs a turn makes of its customer and its conversation: one row, or a batch's at once.

A turn touches its customer (the later time seen, the profile name) and its conversation (where
it got to), and needs both rows' ids for its messages and events. One turn makes one UPDATE ...
RETURNING per table (`SEEN`, then `STARTED` or `LATEST`); a drainer's batch of turns, one phone
each, makes one per table for all of them (`SEEN_MANY`, `STARTED_MANY`, `LATEST_MANY`: UPDATE
... FROM a VALUES list ... RETURNING each row's natural key and id), which is what a turn costs
the drainer most of its CPU in (SQLAlchemy's work per statement, bench/archive_bench.py). The
rows a batch's statement did not find are made by the caller, as for a single turn.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Column,
    ColumnElement,
    Connection,
    Dialect,
    String,
    Table,
    Update,
    bindparam,
    case,
    column,
    func,
    select,
    update,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy.dialects import postgresql

from integrations.archive import models

customers = cast(Table, models.Customer.__table__)
conversations = cast(Table, models.Conversation.__table__)
# What a turn may say about its conversation (a None leaves the column as it is).
CONVERSATION_STATE = ("channel", "provider", "stage", "handoff", "opted_out", "lead", "turns")


class _Touch:
    """An UPDATE of the one row `where` names (its bound parameters given when called).

    Called, it answers the row's id, or None when there is no such row. One statement with
    RETURNING where the database has it; a look-up, then the UPDATE by id, elsewhere.
    """

    def __init__(self, table: Table, where: ColumnElement[bool], values: dict[str, Any]) -> None:
        self.returning = update(table).where(where).values(values).returning(table.c.id)
        self.find = select(table.c.id).where(where)
        self.by_id = update(table).where(table.c.id == bindparam("b_id")).values(values)

    def __call__(self, db: Connection, params: dict[str, Any]) -> int | None:
        if db.dialect.update_returning:
            return db.execute(self.returning, params).scalar()
        found = db.execute(self.find, params).scalar()
        if found is not None:
            db.execute(self.by_id, params | {"b_id": found})
        return found


def _later(column: Column[Any], at: ColumnElement[Any]) -> ColumnElement[Any]:
    """The later of `column` and `at` (every time the archive stores is UTC)."""
    return case((column < at, at), else_=column)


def _kept(column: Column[Any], value: ColumnElement[Any]) -> ColumnElement[Any]:
    """`value`, or the column as it is when that is None."""
    return func.coalesce(value, column)


def _param(table: Table, name: str, column_name: str | None = None) -> ColumnElement[Any]:
    return bindparam(name, type_=table.c[column_name or name.removeprefix("b_")].type)


# A customer seen again: the later time, the profile name if the turn has one.
_SEEN = {
    "last_seen_at": _later(customers.c.last_seen_at, _param(customers, "b_at", "last_seen_at")),
    "profile_name": _kept(customers.c.profile_name, _param(customers, "b_name", "profile_name")),
}
SEEN = _Touch(customers, customers.c.phone == bindparam("b_phone"), _SEEN)


def _said(given: Callable[[str, str], ColumnElement[Any]]) -> dict[str, Any]:
    """Where a conversation got to: what the turn says of it (a None leaves a column as it is)."""
    state = {name: _kept(conversations.c[name], given(name, name)) for name in CONVERSATION_STATE}
    at = given("at", "last_message_at")
    return state | {"last_message_at": _later(conversations.c.last_message_at, at)}


_SAID = _said(lambda name, of: _param(conversations, f"b_{name}", of))
STARTED = _Touch(conversations, conversations.c.key == bindparam("b_key"), _SAID)
LATEST = _Touch(
    conversations,
    conversations.c.id
    == select(conversations.c.id)
    .where(conversations.c.customer_id == bindparam("b_customer"))
    .order_by(conversations.c.started_at.desc(), conversations.c.id.desc())
    .limit(1)
    .scalar_subquery(),
    _SAID,
)


class _Prepared(NamedTuple):
    """A `_TouchMany` as one dialect runs it: its SQL, and what each execution gives it."""

    sql: str
    order: list[str] | None  # the parameters' names in order, for a positional driver
    constants: dict[str, Any]  # the parameters that are the same every time
    processors: Sequence[tuple[str, Callable[[Any], Any]]]  # what each row's values go through


class _TouchMany:
    """One UPDATE of many rows, each named by a row of a list given as ONE JSON parameter.

    Called with the rows (a dict per row, by the names of `columns`), it answers the id of each
    row it found, by the value of `by` (a column of the table, unique in the batch). Only where
    the database has UPDATE ... FROM and RETURNING (`batched`). One JSON parameter rather than
    a VALUES list of parameters: the statement is the same for any number of rows, so it is
    compiled once per process (a VALUES list would be compiled anew for each size of batch).
    """

    def __init__(
        self,
        table: Table,
        columns: dict[str, str],
        where: Callable[[Any], ColumnElement[bool]],
        said: Callable[[Any], dict[str, Any]],
        by: str,
        source: Callable[[Any], Any] = lambda v: v,
    ) -> None:
        """An UPDATE of `table` by a list of rows, answering the rows' `by` and ids.

        Args:
            table: the table updated.
            columns: the rows' names, and the column of `table` whose type each one is.
            where: the WHERE clause, given the rows (a table named "v").
            said: the SET clause, given the rows.
            by: the column a found row is named by in the answer.
            source: what `where` and `said` are given: the rows, or a CTE made of them.
        """
        self.table, self.where, self.said, self.source = table, where, said, source
        self.types = {name: table.c[of].type for name, of in columns.items()}
        self.by = table.c[by]
        self._prepared: dict[tuple[str, str], _Prepared] = {}

    def statement(self, dialect: Dialect) -> Update:
        """The UPDATE for `dialect`, its rows the JSON parameter `rows`, their number `n`."""
        if dialect.name == "postgresql":
            rows = sql_cast(bindparam("rows", type_=String), postgresql.JSONB)
            typed = (column(n, t) for n, t in self.types.items())
            listed = func.jsonb_to_recordset(rows).table_valued(*typed)
            given = select(listed.render_derived(name="given", with_types=True))
        else:  # SQLite: values as its DBAPI would have been given them (`processors`)
            each = func.json_each(bindparam("rows", type_=String)).table_valued("value")
            given = select(
                *(func.json_extract(each.c.value, f"$.{n}").label(n) for n in self.types)
            )
        # The LIMIT (the number of rows) tells PostgreSQL's planner how few rows there are,
        # which a function's result does not: without it, it scans the whole table.
        v = self.source(given.limit(bindparam("n")).cte("v"))
        statement = update(self.table).where(self.where(v)).values(self.said(v))
        return statement.returning(self.by, self.table.c.id)

    def _prepare(self, dialect: Dialect) -> _Prepared:
        """`statement` compiled for `dialect` (once: drainer threads may race, to the same end).

        It runs as the SQL it compiles to: SQLAlchemy's work on each execution of a Core
        statement (its cache key, every bound parameter) grows with the statement, and made
        this one cost as much as three one-row UPDATEs. Its constants (the JSON paths, the
        LIMIT of the subquery) are the same every time.
        """
        key = (dialect.name, dialect.driver)
        if key not in self._prepared:
            compiled = self.statement(dialect).compile(dialect=dialect)
            order = list(compiled.positiontup or ()) if dialect.positional else None
            # SQLite gets what a bound parameter of the column's type would be (a time as the
            # text SQLAlchemy stores, a bool as 0 or 1), so both ways store the same values.
            found = (
                (n, t.dialect_impl(dialect).bind_processor(dialect)) for n, t in self.types.items()
            )
            processors = [
                (n, process) for n, process in found if process and dialect.name != "postgresql"
            ]
            self._prepared[key] = _Prepared(compiled.string, order, compiled.params, processors)
        return self._prepared[key]

    def __call__(self, db: Connection, rows: list[dict[str, Any]]) -> dict[Any, int]:
        if not rows:
            return {}
        sql, order, constants, processors = self._prepare(db.dialect)
        encoded = [
            {n: row[n] for n in self.types}
            | {n: process(row[n]) for n, process in processors if row[n] is not None}
            for row in rows
        ]
        given = constants | {"rows": json.dumps(encoded, default=_isoformat), "n": len(rows)}
        params = tuple(given[name] for name in order) if order is not None else given
        return {by: id_ for by, id_ in db.exec_driver_sql(sql, params)}


def _isoformat(value: Any) -> str:
    """A time in the JSON rows (PostgreSQL reads ISO 8601 with its offset as timestamptz)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in an archive row")


# The fewest turns a batch's touches pay for (the drainer's CPU, measured per database): one
# statement for several rows costs SQLite as much as about three of one row, psycopg two.
FEWEST = {"sqlite": 3, "postgresql": 2}


def batched(dialect: Dialect, turns: int) -> bool:
    """Whether `dialect`'s database takes `turns` turns' touches in one statement per table."""
    fewest = FEWEST.get(dialect.name)
    return fewest is not None and turns >= fewest and bool(dialect.update_returning)


_STATE = {name: name for name in CONVERSATION_STATE} | {"at": "last_message_at"}
SEEN_MANY = _TouchMany(
    customers,
    {"phone": "phone", "at": "last_seen_at", "name": "profile_name"},
    lambda v: customers.c.phone == v.c.phone,
    lambda v: {
        "last_seen_at": _later(customers.c.last_seen_at, v.c.at),
        "profile_name": _kept(customers.c.profile_name, v.c.name),
    },
    by="phone",
)
STARTED_MANY = _TouchMany(
    conversations,
    _STATE | {"key": "key"},
    lambda v: conversations.c.key == v.c.key,
    lambda v: _said(lambda name, _of: v.c[name]),
    by="key",
)


def _with_latest(v: Any) -> Any:
    """The VALUES list, each row with the id of its customer's latest conversation (`latest`)."""
    latest = (
        select(conversations.c.id)
        .where(conversations.c.customer_id == v.c.customer)
        .order_by(conversations.c.started_at.desc(), conversations.c.id.desc())
        .limit(1)
        .scalar_subquery()
    )
    return select(v, latest.label("latest")).cte("w")


LATEST_MANY = _TouchMany(
    conversations,
    _STATE | {"customer": "customer_id"},
    lambda w: conversations.c.id == w.c.latest,
    lambda w: _said(lambda name, _of: w.c[name]),
    by="customer_id",
    source=_with_latest,
)
