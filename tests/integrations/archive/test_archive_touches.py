"""A batch's turns touch their customers and conversations in one UPDATE per table.

Whatever each phone's history (a new customer, a conversation going on, one started again, an
operator's message, a conversation begun before the archive was on, a replay), the batch leaves
the same record as the same operations applied one by one.
"""

from __future__ import annotations

import json

from sqlalchemy import event

from integrations.archive.touches import FEWEST
from webhooks.records.ops import operator_op, status_op, turn_op

from .test_archive_store import message, sale

REPLY = {"text": "¡Hola!", "channel": "whatsapp", "provider": "meta", "status": "accepted"}


def later_turn(phone: str, text: str, n: int, *, started: bool = False) -> dict:
    before = {"stage": "INICIO", "turns": n - 1}
    after = {"stage": "PERFIL", "turns": n, "handoff": n % 2 == 0}
    return turn_op(
        phone, [message(text, f"w{n}{phone}", phone)], before, after, REPLY, started=started
    )


def histories(template: str) -> dict[str, tuple[list[dict], dict]]:
    """Per kind of phone: what it has been through (applied one by one), and its batch's op."""
    one, two = later_turn(template, "uno", 1, started=True), later_turn(template, "dos", 2)
    operator = operator_op({"text": "Le llamo ahora", "channel": "whatsapp", "provider": "meta"})
    operator["key"] = operator["messages"][0]["key"] = f"operator:{template}"  # one per copy
    return {
        "new customer": ([], sale(template)[0]),
        "going on": ([one], two),
        "started again": ([one, two], later_turn(template, "reset", 3, started=True)),
        "operator": ([one], operator),
        "before the archive": ([], later_turn(template, "ya hablábamos", 5)),
        "replayed": ([one, two], one),
        "a status": (
            [sale(template)[0]],
            status_op({"message_id": f"w.{template}", "status": "read", "timestamp": 1764633600}),
        ),
    }


def as_phone(ops: object, template: str, phone: str) -> object:
    return json.loads(json.dumps(ops).replace(template, phone))


def test_a_batch_leaves_the_same_record_as_its_operations_one_by_one(archive):
    template = "+34600000900"
    kinds = histories(template)
    alone = {kind: f"+346000001{n:02d}" for n, kind in enumerate(kinds)}
    batched = {kind: f"+346000002{n:02d}" for n, kind in enumerate(kinds)}
    for kind, (seen, op) in kinds.items():
        for before in seen:
            archive.apply(alone[kind], as_phone(before, template, alone[kind]))
            archive.apply(batched[kind], as_phone(before, template, batched[kind]))
        archive.apply(alone[kind], as_phone(op, template, alone[kind]))
    batch = [
        (batched[kind], as_phone(op, template, batched[kind])) for kind, (_, op) in kinds.items()
    ]
    archive.apply_all(batch)

    for kind in kinds:
        expected = json.dumps(archive.export(alone[kind])).replace(alone[kind], template)
        found = json.dumps(archive.export(batched[kind])).replace(batched[kind], template)
        assert found == expected, kind
    assert archive.export(batched["started again"])["conversations"][-1]["stage"] == "PERFIL"
    assert len(archive.export(batched["started again"])["conversations"]) == 2
    assert [m["text"] for m in archive.export(batched["operator"])["messages"]][-1] == (
        "Le llamo ahora"
    )


def updates(archive) -> list[str]:
    """The tables each UPDATE the archive's engine runs from now on names, in order."""
    seen: list[str] = []

    def look(_conn, _cursor, statement, *_args) -> None:
        if " UPDATE " in f" {statement}":
            seen.append(statement.split("UPDATE ", 1)[1].split(" ", 1)[0])

    event.listen(archive.engine, "before_cursor_execute", look)
    return seen


def test_a_batch_of_turns_makes_one_update_per_table(archive):
    phones = [f"+346000003{n:02d}" for n in range(4)]
    for phone in phones:
        archive.apply(phone, later_turn(phone, "uno", 1, started=True))
    seen = updates(archive)
    archive.apply_all([(phone, later_turn(phone, "dos", 2)) for phone in phones])
    assert seen == ["customers", "conversations"]
    seen.clear()
    for phone in phones:  # one by one, as before: one of each per turn
        archive.apply(phone, later_turn(phone, "tres", 3))
    assert seen == ["customers", "conversations"] * len(phones)
    assert all(archive.export(p)["conversations"][0]["turns"] == 3 for p in phones)


def test_two_turns_of_one_phone_in_a_batch_are_applied_in_order(archive):
    phone, other = "+34600000401", "+34600000402"
    batch = [
        (phone, later_turn(phone, "uno", 1, started=True)),
        (other, later_turn(other, "uno", 1, started=True)),
        (phone, later_turn(phone, "dos", 2)),
    ]
    archive.apply_all(batch)
    found = archive.export(phone)
    assert [m["text"] for m in found["messages"] if m["direction"] == "in"] == ["uno", "dos"]
    assert [c["turns"] for c in found["conversations"]] == [2]


def test_too_few_turns_to_pay_touch_their_rows_one_by_one(archive):
    fewest = FEWEST[archive.engine.dialect.name]
    phones = [f"+346000005{n:02d}" for n in range(fewest)]
    for phone in phones:
        archive.apply(phone, later_turn(phone, "uno", 1, started=True))
    seen = updates(archive)
    archive.apply_all([(phone, later_turn(phone, "dos", 2)) for phone in phones[:-1]])
    assert seen == ["customers", "conversations"] * (fewest - 1)
    seen.clear()
    archive.apply_all([(phone, later_turn(phone, "tres", 3)) for phone in phones])
    assert seen == ["customers", "conversations"]
