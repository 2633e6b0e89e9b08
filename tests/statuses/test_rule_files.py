"""Rule files of derived rights: parsed, ordered, evaluated; refused whole with the line at
fault for a syntax error, an unknown status or right, or a cycle."""

from __future__ import annotations

import pytest

from carrefour.errors import InvalidRuleFile
from carrefour.rights.domain import parse_rules
from carrefour.rights.services import rules_in_force

GOOD = '''
[[right]]
name = "telephone-tariff"
granted_by = "ibpt"
deliberation = "CSI/10/001"
scope = "person"
any_of = ["social-energy-tariff", "bridging-right"]
none_of = ["temporary-unemployment"]

[[right]]
name = "social-energy-tariff"
granted_by = "spf-economy"
deliberation = "CSI/09/074"
any_of = ["ris", "eris", "disability-allowance"]
'''


def test_rules_are_ordered_after_the_rights_they_name_and_evaluated() -> None:
    rules = parse_rules(GOOD)
    assert [r.name for r in rules.rules] == ["social-energy-tariff", "telephone-tariff"]
    assert rules.evaluate({"ris"}) == {"social-energy-tariff", "telephone-tariff"}
    assert rules.evaluate({"ris", "temporary-unemployment"}) == {"social-energy-tariff"}
    assert rules.evaluate({"bim"}) == set()


def test_the_rules_in_force_give_the_tariff_to_bim_households() -> None:
    assert rules_in_force().evaluate({"bim"}) == {"social-energy-tariff",
                                                  "stib-preferential-tariff"}
    assert rules_in_force().evaluate({"disability-allowance"}) == {"social-energy-tariff"}


def test_the_stib_tariff_is_told_only_to_the_stib_that_integrated_the_person() -> None:
    stib = rules_in_force().get("stib-preferential-tariff")
    assert stib is not None and stib.finality == "integration" and stib.scope == "person"
    assert stib.granted_by == "stib" and stib.any_of == {"ris", "eris", "bim"}
    assert parse_rules(GOOD).get("telephone-tariff").finality == "kind"  # type: ignore[union-attr]


def test_a_finality_other_than_kind_or_integration_is_refused_with_its_line() -> None:
    text = GOOD.replace('scope = "person"', 'scope = "person"\nfinality = "everyone"')
    refused = _refusal(text)
    assert text.splitlines()[refused.line - 1] == 'finality = "everyone"'


def test_finality_integration_needs_scope_person() -> None:
    text = GOOD.replace('any_of = ["ris", "eris", "disability-allowance"]',
                        'finality = "integration"\nany_of = ["ris"]')
    refused = _refusal(text)
    assert "scope 'person'" in refused.detail
    assert text.splitlines()[refused.line - 1] == 'finality = "integration"'


def _refusal(text: str) -> InvalidRuleFile:
    with pytest.raises(InvalidRuleFile) as refused:
        parse_rules(text)
    assert refused.value.code == "invalid-rule-file"
    return refused.value


def test_an_unknown_status_is_refused_with_its_line() -> None:
    text = GOOD.replace('"disability-allowance"]', '"disability-allowance",\n  "lottery"]')
    refused = _refusal(text)
    assert refused.line == text.splitlines().index('  "lottery"]') + 1
    assert "'lottery'" in refused.detail and refused.detail.startswith(f"line {refused.line}:")


def test_a_cycle_is_refused_with_its_line() -> None:
    text = GOOD.replace('any_of = ["ris", "eris"', 'any_of = ["telephone-tariff", "ris", "eris"')
    refused = _refusal(text)
    assert "cycle" in refused.detail
    assert refused.line in (2, 11)  # the header of one of the rights in the cycle
    assert text.splitlines()[refused.line - 1] == "[[right]]"


def test_a_syntax_error_is_refused_with_its_line() -> None:
    text = GOOD.replace('granted_by = "ibpt"', 'granted_by = "ibpt')
    assert _refusal(text).line == 4


@pytest.mark.parametrize("text", [
    "", "[[other]]\nname = 'x'\n",
    GOOD.replace('scope = "person"', 'scope = "street"'),
    GOOD.replace('granted_by = "ibpt"\n', ''),
    GOOD.replace('name = "telephone-tariff"', 'name = "Telephone Tariff"'),
    GOOD.replace('none_of = ["temporary-unemployment"]', 'none_of = "bim"'),
    GOOD.replace('none_of = ["temporary-unemployment"]', 'colour = "red"'),
    GOOD + GOOD.split("\n\n")[-1],  # the tariff declared twice
])
def test_other_bad_files_are_refused_whole(text: str) -> None:
    assert _refusal(text).line >= 1
