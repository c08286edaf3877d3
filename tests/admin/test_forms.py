"""Forms are parsed by the API's schemas and report errors per field."""

from starlette.datastructures import FormData

from app.admin.forms import field_error, parse_form
from app.companies.schemas import CompanyCreate
from app.errors import InvalidField


def test_a_form_is_checked_by_the_api_schema_field_by_field() -> None:
    form = FormData(
        [
            ("csrf_token", "x"),
            ("role", "jp_partner"),
            ("country", "JP"),
            ("name", "  Kawasemi Microwave  "),
            ("keywords", "GaN MMIC, hermetic packaging\nKa-band"),
            ("corporate_number", "7000012050003"),
            ("naics", "334413"),
        ]
    )
    parsed = parse_form(CompanyCreate, form, lists={"keywords", "naics"})
    assert parsed.model is None
    assert (
        set(parsed.errors) == {"corporate_number"}
        and "check digit" in parsed.errors["corporate_number"]
    )
    # What was typed comes back for the form, tidied as the schema reads it.
    assert parsed.values["name"] == "Kawasemi Microwave"
    assert parsed.values["keywords"] == ["GaN MMIC", "hermetic packaging", "Ka-band"]

    fixed = FormData(
        [(k, "7000012050002" if k == "corporate_number" else v) for k, v in form.multi_items()]
    )
    ok = parse_form(CompanyCreate, fixed, lists={"keywords", "naics"})
    assert ok.errors == {} and ok.model is not None and ok.model.corporate_number == "7000012050002"


def test_a_service_rule_lands_beside_its_field() -> None:
    assert field_error(InvalidField("uei", "already used by company 3")) == {
        "uei": "already used by company 3"
    }


def test_a_rule_across_fields_lands_beside_the_first_field_it_names() -> None:
    from app.authorizations.schemas import ExportAuthorizationCreate
    from app.vetting.schemas import VettingDecisionCreate

    both = FormData(
        [
            ("company_id", "1"),
            ("solicitation_id", "1"),
            ("technology_area", "space"),
            ("authority", "ddtc"),
            ("reference", "TA 1-26"),
            ("valid_from", "2026-01-01"),
        ]
    )
    parsed = parse_form(ExportAuthorizationCreate, both)
    assert list(parsed.errors) == ["solicitation_id"]
    assert "exactly one of" in parsed.errors["solicitation_id"]

    backwards = FormData(
        [
            ("company_id", "1"),
            ("technology_area", "space"),
            ("authority", "ddtc"),
            ("reference", "TA 1-26"),
            ("valid_from", "2026-02-01"),
            ("valid_until", "2026-01-01"),
        ]
    )
    assert list(parse_form(ExportAuthorizationCreate, backwards).errors) == ["valid_until"]

    unexplained = parse_form(VettingDecisionCreate, FormData([("status", "vetted")]))
    assert list(unexplained.errors) == ["evidence"]
