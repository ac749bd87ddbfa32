"""Answers to questions, objections and digressions, wherever the funnel is."""

from __future__ import annotations

from agent import texts


def aside(reading: dict, quote: dict | None) -> str:
    """A short answer to a question, objection or digression, wherever the funnel is."""
    intent, topic = reading.get("intent"), reading.get("topic") or "other"
    if intent == "objection" and topic in texts.OBJECTIONS:
        if topic == "price" and not quote:
            return "Te digo el precio exacto en cuanto tenga tus datos; solo son unas preguntas."
        if topic == "price":
            cheapest = quote["options"][0]
            return texts.OBJECTIONS["price"].format(
                cheapest_name=cheapest["name"], cheapest_monthly=texts.price(cheapest["monthly"])
            )
        return texts.OBJECTIONS[topic]
    if intent in ("question", "objection"):
        return texts.ANSWERS.get(topic, texts.ANSWERS["other"])
    if intent == "off_topic":
        return texts.OFF_TOPIC
    if intent == "greeting":
        return "¡Hola de nuevo!"
    return ""
