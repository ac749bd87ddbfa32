"""The rules brain's Spanish reading: intent, topic and profile data, offline and deterministic.

Precedence when a message says several things (first match wins):

1. commands: opt_out (wherever it appears, even inside a question), opt_in, restart, handoff;
2. when the bot asked for consent, a yes or a no (affirm/deny), whatever else the message says;
3. choose_option, only for an unambiguous pick: a question, a comparison, hesitation or a
   negation about options never picks one (they fill `options_mentioned`);
4. provide_info, when the message states data other than purpose and the insured person (a
   yes/no that answers "¿fumas?" or a bare number that answers the pending question counts);
   a correction wins over a yes: "sí, pero tengo 45";
5. options weighed (question, topic compare) or only rejected (deny);
6. objection (price, trust, think), then question (by topic); but when the bot asked a yes/no
   question (readback, confirm_option, insured, handoff_offer), a yes or no without a "?" wins;
7. provide_info for a purpose or the insured person alone ("es para la hipoteca");
8. "no sé"-like replies (unknown), deny, affirm, a bare name when the name was asked,
   greeting, thanks;
9. off_topic (no insurance or profile words, and a clearly unrelated word or 3+ words),
   else unknown.

`topic` is kept whenever one is recognised, unless a command wins: "tengo 40 años, ¿cuánto
cuesta?" is provide_info with topic price. `formality` and `language` are read on every message.
"""

from __future__ import annotations

from datetime import date

from agent.brains import lexicon
from agent.brains import spanish_intents as intents
from agent.brains.base import ADVICE_ON, Intent, Reading
from agent.brains.spanish_numbers import fold, mask, normalise, parse_amount, parse_birth_date
from agent.brains.spanish_options import RX as OPTIONS_RX
from agent.brains.spanish_options import named_spans, read_options, without_descriptions
from agent.brains.spanish_people import leading_name
from agent.brains.spanish_profile import NUMERIC_ASKS, read_profile
from agent.brains.spanish_register import formality, language

# The patterns of agent/data/spanish/spanish.toml, by name.
RX = lexicon.load("spanish")

__all__ = ["normalise", "parse_amount", "parse_birth_date", "read_spanish"]

_COMMANDS = ("opt_out", "opt_in", "restart", "handoff", "resume")
_YES_NO_ASKS = ("readback", "confirm_option", "insured", "handoff_offer")
# Questions about the options themselves: one never picks an option it asks about.
_ABOUT_OPTIONS = frozenset(
    {"price", "compare", "recommend", "coverage", "exclusions", "payment", "other"}
)
_NOT_DATA = frozenset({"purpose", "insured", "insured_relation", "option", "income"})
# Data a small number answers, which a message naming options by number may seem to give.
_OPTION_SIZED = ("term", "cover", "dependants")
_MAX_CHARS = 4096  # WhatsApp's own limit; anything longer is cut, not refused


def read_spanish(
    text: str, *, expecting: str | None, today: date, known: frozenset[str] = frozenset()
) -> Reading:
    """Understand one customer message; `expecting` is the datum the bot asked for last.

    Never raises: any string (empty, emojis only, thousands of characters) gets a Reading.
    """
    source = text[:_MAX_CHARS] if isinstance(text, str) else ""
    source = RX["letter_zero"].sub(
        r"\g<1>0", source
    )  # "tengo 4o años": a zero typed as the letter o
    source = RX["glued"].sub(
        lambda m: f"{m[1] or m[3]} {m[2] or m[4]}", source
    )  # "nofumo", "35años"
    source = RX["glued_tens"].sub(r"\1 y \2", source)  # "treintaicinco": one word as said
    folded = fold(source)
    norm = folded.text
    lead = RX["greeting_lead"].match(norm)
    start = lead.end() if lead else 0
    polite = RX["please"].fullmatch(" ".join(RX["noise"].sub(" ", norm[start:]).split()))
    core = intents.strip_filler(polite[1]) if polite else ""
    yes, no = intents.yes_no(norm, core)
    fields = read_profile(source, folded, start, expecting, today, yes, no, known)
    bare_option = fields.pop("option", None)
    if expecting == "name" and not fields and core.isdigit() and 18 <= int(core) <= 99:
        fields["age"] = int(core)  # "34" at the name question: an adult's age, said early
    asked = without_descriptions(norm)
    if expecting not in ("option", "confirm_option"):
        asked = intents.RX["wish_to_contract"].sub("·", asked)
    found = intents.topic(asked, core)
    if found == ("objection", "existing"):
        fields.pop("purpose", None)  # "ya tengo uno con el banco de la hipoteca": the other's
    if found in (("question", "compare"), ("question", "recommend")) and expecting in ADVICE_ON:
        found = ("question", ADVICE_ON[expecting])  # "¿qué me recomiendas?" asked for a figure
    how_much = found == ("question", "other") and RX["how_much_advice"].search(norm)
    if how_much and expecting in ADVICE_ON:  # "¿cuánto necesitaría?" asked for the capital
        found = ("question", ADVICE_ON[expecting])
    advice = found in (None, ("question", "compare"), ("question", "payment"))
    if advice and expecting == "cover" and "income" in fields and "cover" not in fields:
        found = ("question", "capital")  # "gano unos 30 mil al año": what cover for that?
    asked_about = found[1] if found and found[0] == "question" else None
    options = read_options(
        norm,
        core,
        expecting,
        asks_topic=asked_about in _ABOUT_OPTIONS,
        asks_aside=asked_about is not None and asked_about not in _ABOUT_OPTIONS,
    )
    if options.mentioned and not options.option:
        bare_option = None  # "2 o 3" names two options: neither is picked
    if taken := [k for k in _OPTION_SIZED if fields.get(k) in options.mentioned]:
        # "¿qué diferencia hay entre la 2 y la 3?" asked for the dependants: no datum in it.
        source_masked = source
        for begin, end in named_spans(norm):
            source_masked = mask(source_masked, folded.origin[begin], folded.origin[end - 1] + 1)
        again = read_profile(
            source_masked, fold(source_masked), start, expecting, today, yes, no, known
        )
        for key in taken:
            if again.get(key) != fields[key]:
                del fields[key]
    option = options.option or bare_option
    priced_pick = None
    if expecting in ("option", "confirm_option") and not option and "?" not in norm:
        priced_pick = intents.price_named(norm)  # "la de 12 y pico al mes": the one costing it
        if priced_pick:
            fields.pop("cover", None)  # a premium, not the capital
    # "vale, esa", "me quedo con esa": the option the bot has just talked about, if only one
    refers_back = (
        expecting in ("option", "confirm_option")
        and not (option or options.mentioned)
        and bool(OPTIONS_RX["that_one"].match(core))
    )
    if options.compare:
        found = ("question", "compare")
    wants_info = bool(intents.RX["wants_info"].search(norm))
    if found == ("question", "other") and wants_info:
        found = None  # "¿me podría informar sobre el seguro de vida?": an opening
    if found == ("question", "smoking"):
        for key in ("smoker", "ex_smoker", "quit_months"):
            fields.pop(key, None)  # "¿el vapeo cuenta?": asked, not said
    data = set(fields) - _NOT_DATA
    given = {ADVICE_ON[datum] for datum in data & ADVICE_ON.keys()}
    if found and found[1] in given and "?" not in norm:
        found = None  # "el capital mejor 120 mil": the datum given, nothing asked about it

    intent: Intent
    if command := intents.command(norm, core):
        intent = command
    elif expecting == "consent" and (yes or no):
        intent = "affirm" if yes else "deny"
    elif expecting == "name" and not data and RX["declines_name"].search(norm):
        intent = "deny"  # "prefiero no decirlo", "¿para qué quieres mi nombre?"
    elif option or priced_pick or refers_back:
        intent = "choose_option"
    elif data:
        intent = "provide_info"
    elif options.compare:
        intent = "question"
    elif options.rejected and not (found and "?" in norm):
        intent = "deny"
    elif (yes or no) and expecting in _YES_NO_ASKS and "?" not in norm:
        intent = "affirm" if yes else "deny"
    elif expecting == "handoff_offer" and found == ("objection", "think") and "?" not in norm:
        intent = "deny"  # "ah ok, en febrero les escribo": a later, not a yes to a person
    elif found:
        intent = found[0]
    elif options.mentioned and "?" in norm:
        intent = "question"
    elif fields and not (yes or no):
        intent = "provide_info"
    elif wants_info and expecting not in ("consent", *_YES_NO_ASKS):
        intent = "greeting"  # "me interesa un seguro de vida", "me pueden dar info"
    elif intents.RX["not_sure"].match(core):
        intent = "unknown"
    elif expecting == "name" and yes and RX["yes_name"].fullmatch(source.strip()):
        intent, fields["name"] = "provide_info", source.strip(" .!")  # "Vale" (Valeria) is a name
    elif no or yes:
        intent = "deny" if no else "affirm"
    elif fields:
        intent = "provide_info"
    elif expecting == "name" and (name := leading_name(source, folded, start, alone=True)):
        intent, fields["name"] = "provide_info", name[0]
    elif lead or intents.RX["greeting"].search(norm):
        intent = "greeting"
    elif intents.RX["thanks"].search(norm):
        intent = "thanks"
    elif (
        not intents.RX["on_topic"].search(norm)
        and not (
            (expecting in NUMERIC_ASKS or expecting in _YES_NO_ASKS) and RX["digit"].search(norm)
        )
        and (intents.RX["off_topic"].search(norm) or len(core.split()) >= 3)
    ):
        intent = "off_topic"
    else:
        intent = "unknown"
    topic = found[1] if found and intent not in _COMMANDS else None
    topics = intents.all_topics(norm) if topic and intent in ("question", "objection") else []
    if intent == "objection" and topic and topics:  # "¿cuánto cuesta? ¿es fiable esto?": both asked
        topics = [topic, *(t for t in topics if t != topic)]
    return Reading(
        intent=intent,
        topic=topic,
        topics=[topic, *(t for t in topics if t != topic)] if len(topics) > 1 else [],
        option=option if intent == "choose_option" else None,
        options_mentioned=options.mentioned,
        formality=formality(norm),
        language=language(norm),
        consents=bool(intents.RX["consents"].search(norm)) or None,
        price_named=priced_pick if intent == "choose_option" and not option else None,
        refers_back=refers_back and intent == "choose_option" or None,
        **fields,
    )
