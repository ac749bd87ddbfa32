"""SMS text in GSM-7 (GSM 03.38) and its billed segments."""

from __future__ import annotations

import pytest

from integrations.messaging.gsm import is_gsm7, segments, septets, to_gsm7


@pytest.mark.parametrize(
    ("spanish", "sms"),
    [
        ("¿Cuántos años tienes?", "¿Cuantos años tienes?"),  # ñ and ¿ are GSM-7; á is not
        ("Él irá mañana a la óptica, ¡qué día!", "Él ira mañana a la optica, ¡qué dia!"),
        ("Pingüino, cigüeña, ÚLTIMA, ÍNDICE, Ángel", "Pingüino, cigüeña, ULTIMA, INDICE, Angel"),
        ("¡Hola! 👋 Soy el asistente", "¡Hola! Soy el asistente"),
        ("Perfecto 🎉, Ana", "Perfecto, Ana"),
        ("te lo puedo contar 🙂.", "te lo puedo contar."),
        ("escribe «acepto» — o “sí”…", 'escribe "acepto" - o "si"...'),
        ("una\ttabla", "una tabla"),  # a tab is not GSM-7: a space
        ("150.000 € a 20 años", "150.000 € a 20 años"),
        ("Ça va, garçon", "Ça va, garcon"),  # Ç is in the table, ç is not
    ],
)
def test_spanish_becomes_gsm7_keeping_what_the_alphabet_has(spanish, sms):
    assert to_gsm7(spanish) == sms and is_gsm7(sms)


def test_text_already_in_gsm7_is_left_alone():
    text = "Anotado:  35 años,\nno fumas ."
    assert to_gsm7(text) == text


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("", 0),
        ("a" * 160, 1),
        ("a" * 161, 2),  # 153 septets per part once split
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("€" * 80, 1),  # € is an escape: two septets
        ("€" * 81, 2),
        ("á" * 70, 1),  # UCS-2: 70 in one, 67 per part
        ("á" * 71, 2),
        ("a" * 150 + "👋", 3),  # one emoji makes all of it UCS-2 (the emoji is 2 code units)
    ],
)
def test_segments_follow_gsm7_and_ucs2_sizes(text, count):
    assert segments(text) == count


def test_septets_count_the_escapes_twice_and_refuse_what_is_not_gsm7():
    assert septets("[€]") == 6 and septets("ñ") == 1
    assert septets("á") is None and not is_gsm7("ú")
