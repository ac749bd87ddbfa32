"""Tests for the product-facts file: what it answers, the tariff figures in it, and its checks."""

from __future__ import annotations

import copy
import json
import re
from decimal import Decimal
from importlib import resources

import pytest

from agent.context import AgentContext
from agent.facts import TOPICS, FactsError, ProductFacts, default_facts, surcharge
from agent.quote import QuoteEngine, format_eur


@pytest.fixture
def packaged() -> dict:
    return json.loads((resources.files("agent") / "data" / "product.json").read_text("utf-8"))


@pytest.fixture
def tariff_data() -> dict:
    return json.loads((resources.files("agent") / "data" / "tariff.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def tariff() -> QuoteEngine:
    return QuoteEngine()


@pytest.fixture(scope="module")
def facts() -> ProductFacts:
    return ProductFacts()


def test_the_packaged_file_is_the_default(facts):
    assert default_facts().answer("capital", QuoteEngine()) == facts.answer(
        "capital", QuoteEngine()
    )
    assert facts.illustrative and "ilustrativ" in facts.notice
    assert facts.retirement_age == 67 and facts.withdrawal_days == 30


def test_the_graph_gets_the_facts_without_being_told():
    # The brain is only stored here; any object shows the default is filled in.
    context = AgentContext(brain=object(), quotes=QuoteEngine())
    assert isinstance(context.facts, ProductFacts)


@pytest.mark.parametrize("topic", TOPICS)
def test_every_topic_has_a_complete_answer(facts, tariff, topic):
    said = facts.answer(topic, tariff)
    assert len(said) > 60
    assert "{" not in said and "}" not in said
    assert "asesor te lo puede aclarar" not in said


# Figures come from the tariff, never from the facts file's own text.


@pytest.mark.parametrize(
    ("loading", "said"),
    [
        ("1.03", "un 3 % más"),
        ("1.05", "un 5 % más"),
        ("1.035", "un 3,5 % más"),
        ("1.10", "un 10 % más"),
    ],
)
def test_the_monthly_surcharge_is_the_tariffs(facts, tariff_data, loading, said):
    tariff_data["monthly_loading"] = loading
    answer = facts.answer("payment", QuoteEngine(tariff_data))
    assert f"cuesta {said} que pagar al año" in answer
    assert surcharge(Decimal(loading)) == said


def test_no_surcharge_reads_as_the_same_price():
    assert surcharge(Decimal("1")) == "lo mismo"


@pytest.mark.parametrize("months", [6, 12, 24])
def test_the_ex_smoker_rule_states_the_tariffs_months(facts, tariff_data, months):
    tariff_data["ex_smoker_months"] = months
    rule = facts.ex_smoker_rule(QuoteEngine(tariff_data))
    assert f"{months} meses" in rule and "no fumador" in rule


def test_capital_explains_how_to_choose_it_within_the_tariffs_limits(facts, tariff):
    said = facts.answer("capital", tariff)
    assert "entre 5 y 10 veces tus ingresos anuales" in said
    assert format_eur(tariff.limits.min_cover) in said
    assert format_eur(tariff.limits.max_cover) in said


def test_term_says_until_retirement_and_the_longest_term(facts, tariff, packaged):
    said = facts.answer("term", tariff)
    assert "jubilación (a los 67 años)" in said and "hipoteca" in said
    assert f"hasta {tariff.limits.max_term} años" in said
    packaged["retirement_age"] = 65
    assert ProductFacts(packaged).retirement_age == 65
    assert "(a los 65 años)" in ProductFacts(packaged).answer("term", tariff)


def test_coverage_lists_the_tariffs_guarantees_once_each(facts, tariff, tariff_data):
    said = facts.answer("coverage", tariff)
    for option in tariff_data["options"]:
        assert f"*{option['name']}*" in said
    for guarantee in {g for option in tariff_data["options"] for g in option["guarantees"]}:
        assert said.lower().count(guarantee.lower()) == 1, guarantee
    tariff_data["options"][2]["guarantees"].append("Asistencia en viaje")
    assert "asistencia en viaje" in facts.answer("coverage", QuoteEngine(tariff_data))


def test_an_option_that_adds_nothing_lists_its_own_guarantees(facts, tariff_data):
    tariff_data["options"][1]["guarantees"] = ["Fallecimiento por cualquier causa"]
    said = facts.answer("coverage", QuoteEngine(tariff_data))
    assert "• *Recomendada*: Fallecimiento por cualquier causa." in said


def test_the_distributor_is_named_with_its_registry_and_marked_illustrative(
    facts, tariff, packaged
):
    said = facts.answer("distributor", tariff)
    assert facts.distributor_name in said and "J-9999" in said and "DGSFP" in said
    assert said.endswith(f"_{facts.notice}_")
    packaged["illustrative"] = False
    packaged["distributor"] = {
        "name": "Seguros Reales, S.L.",
        "registry": "J-1234",
        "registry_authority": "registro de la DGSFP",
    }
    real = ProductFacts(packaged).answer("distributor", tariff)
    assert "Seguros Reales, S.L." in real and "J-1234" in real
    assert "ilustrativ" not in real


def test_the_data_answer_covers_purpose_controller_retention_and_rights(facts, tariff):
    said = facts.answer("data", tariff)
    for part in ("solo para calcular", facts.distributor_name, "12 meses", "acceso", "borrarlos"):
        assert part in said
    assert "BAJA" in said


def test_cancel_states_the_withdrawal_days_of_the_file(facts, tariff, packaged):
    assert "30 días" in facts.answer("cancel", tariff)
    packaged["withdrawal_days"] = 14
    assert "14 días" in ProductFacts(packaged).answer("cancel", tariff)


# The file's checks: an insurer's mistake is named, at load.


REQUIRED = [
    ("name",),
    ("illustrative",),
    ("notice",),
    ("retirement_age",),
    ("withdrawal_days",),
    ("retention_months",),
    ("distributor",),
    ("distributor", "name"),
    ("distributor", "registry"),
    ("distributor", "registry_authority"),
    ("ex_smoker_rule",),
    ("answers",),
    *[("answers", topic) for topic in TOPICS],
]


@pytest.mark.parametrize("path", REQUIRED, ids=".".join)
def test_a_missing_key_is_named(packaged, path):
    *parents, key = path
    target = packaged
    for parent in parents:
        target = target[parent]
    del target[key]
    with pytest.raises(FactsError, match=rf"missing '{key}'"):
        ProductFacts(packaged)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("retirement_age", "67"),
        ("retirement_age", True),
        ("retirement_age", 0),
        ("withdrawal_days", 30.0),
        ("illustrative", "yes"),
        ("notice", "  "),
        ("answers", []),
    ],
)
def test_a_wrong_value_is_refused(packaged, key, value):
    packaged[key] = value
    with pytest.raises(FactsError, match=key):
        ProductFacts(packaged)


def test_an_unknown_placeholder_is_refused_at_load(packaged):
    packaged["answers"]["payment"] += " Recargo: {recargo}."
    with pytest.raises(FactsError, match=r"answers\.payment: unknown placeholders \['recargo'\]"):
        ProductFacts(packaged)


def test_a_stray_brace_is_refused_at_load(packaged):
    packaged["ex_smoker_rule"] = "Si hace {ex_smoker_months meses"
    with pytest.raises(FactsError, match="ex_smoker_rule"):
        ProductFacts(packaged)


def test_an_unknown_topic_is_refused(packaged):
    packaged["answers"]["exclusion"] = "typo of exclusions"
    with pytest.raises(FactsError, match="unknown topics \\['exclusion'\\]"):
        ProductFacts(packaged)


def test_an_insurers_own_file(tmp_path, packaged, tariff):
    own = copy.deepcopy(packaged)
    own["answers"]["capital"] = "Nuestro capital va de {min_cover} a {max_cover}."
    path = tmp_path / "product.json"
    path.write_text(json.dumps(own), encoding="utf-8")
    assert ProductFacts.from_file(path).answer("capital", tariff) == (
        "Nuestro capital va de 10.000 € a 2.000.000 €."
    )


def test_a_file_that_is_not_json_is_named(tmp_path):
    path = tmp_path / "product.json"
    path.write_text("{ not json", encoding="utf-8")
    with pytest.raises(FactsError, match=re.escape(str(path))):
        ProductFacts.from_file(path)
