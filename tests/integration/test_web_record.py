"""Recording facts from the console: a form for every event type, made
from the vocabulary that makes the command line's options; a preview of
what it records and the tasks the rules would open; recorded under the
signed-in user as the policy allows, once however often it is posted; each
problem said beside its field in the command line's words. On SQLite and
PostgreSQL."""

from __future__ import annotations

import re
from html import unescape

import pytest
from starlette.testclient import TestClient

from tests.console import sign_in, token
from tests.helpers import accord, as_json
from workflows.application.intake import event_types

pytestmark = pytest.mark.integration

VISIT = {
    "partner": "MA",
    "occurred_on": "2021-06-02",
    "visitors": "Commissioner Johansson\nCommissioner Várhelyi",
    "met": "Minister of the Interior",
    "topics": "smuggling networks\nreturns",
    "pillars": ["protection", "migration_governance"],
    "notes": "Two days in Rabat.",
}


def form_of(web: TestClient, type_name: str) -> tuple[str, dict[str, str]]:
    """A form's page, and the hidden fields it posts (its token and key)."""
    page = web.get(f"/record/{type_name}").text
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found is not None
    return page, {"csrf": token(page), "key": found[1]}


def problems(page: str) -> dict[str, str]:
    """Each field's problem, as the page says it beside the field."""
    return {
        name: unescape(text)
        for name, text in re.findall(r'<p class="problem" id="([a-z_]+)-problem">([^<]*)</p>', page)
    }


def log(demo_db: str, type_name: str) -> list[dict[str, object]]:
    return as_json(accord(demo_db, "audit", "log", "--type", type_name, "--json"))


def test_the_record_page_offers_a_form_for_every_event_type_with_its_fields_help_and_records_to_pick(
    web: TestClient,
) -> None:
    index = web.get("/record").text
    assert all(f'href="/record/{name}"' in index for name in event_types())

    page = web.get("/record/FundingCommitted").text
    labels = re.findall(r'<label for="f-([a-z_]+)">', page)
    # What it is recorded on first (picked from those there are), then when, its own fields; pillars and notes last.
    assert labels == ["partner", "funding", "instrument", "occurred_on", "amount", "title", "notes"]
    assert "Amount committed, e.g. &#39;EUR 1000000&#39;" in page  # the help the command line gives
    assert '<option value="TN">Tunisia</option>' in page  # partnerships to pick from
    assert 'name="pillars" value="return_readmission"> Return and readmission' in page
    assert web.get("/record/Nope").status_code == 404
    # Dialogues and initiatives by their names, beside their references.
    assert sign_in(web, "alice") == 303
    _, hidden = form_of(web, "DialogueLaunched")
    launched = {"partner": "TN", "dialogue": "tn-mobility", "title": "Mobility dialogue", "occurred_on": "2021-06-01"}
    assert web.post("/record/DialogueLaunched", data={**hidden, **launched, "action": "record"}).status_code == 200
    assert (
        '<option value="tn-mobility">Tunisia: Mobility dialogue</option>' in web.get("/record/DialogueRoundHeld").text
    )
    assert re.search(r'<datalist id="initiative-known"><option', web.get("/record/InitiativeAdvanced").text)
    # People by the names the record holds: the demo's visits name Commissioner Johansson most.
    visit = web.get("/record/VisitHeld").text
    assert re.search(r'<datalist id="visitors-known"><option value="Commissioner Johansson">named in \d+ facts', visit)
    assert 'list="lead-known"' in web.get("/record/InitiativeAnnounced").text
    assert "Sign in</a> to record it" in page and 'value="record"' not in page  # (read before alice signed in)


def test_a_desk_officer_previews_a_visit_then_records_it_once_under_their_name(web: TestClient, demo_db: str) -> None:
    assert sign_in(web, "alice") == 303
    _, hidden = form_of(web, "VisitHeld")
    visits = len(log(demo_db, "VisitHeld"))

    preview = web.post("/record/VisitHeld", data={**hidden, **VISIT, "action": "preview"})

    assert preview.status_code == 200, preview.text
    assert "It records: " in preview.text and "Morocco" in preview.text
    assert re.search(r"The rules in force would open \d+ tasks?:", preview.text)
    assert len(log(demo_db, "VisitHeld")) == visits  # a preview stores nothing
    assert 'value="record">Record it</button>' in preview.text
    assert "smuggling networks\nreturns</textarea>" in preview.text  # what was given, kept

    recorded = web.post("/record/VisitHeld", data={**hidden, **VISIT, "action": "record"}, follow_redirects=False)
    again = web.post("/record/VisitHeld", data={**hidden, **VISIT, "action": "record"}, follow_redirects=False)

    assert recorded.status_code == 303 and recorded.headers["location"].startswith("/audit/")
    assert again.status_code == 303
    [visit] = log(demo_db, "VisitHeld")[visits:]  # a double submit is recorded once
    assert (visit["actor"], visit["position"]) == ("alice", int(recorded.headers["location"].rsplit("/", 1)[1]))
    shown = web.get(recorded.headers["location"]).text
    assert "Recorded: " in shown and "Morocco" in shown
    tasks = as_json(accord(demo_db, "tasks", "--partner", "MA", "--json"))
    assert any(task["source_type"] == "VisitHeld" and "2021-06-02" in task["basis"] for task in tasks)


def test_a_problem_is_said_beside_its_field_in_the_command_lines_words(web: TestClient, demo_db: str) -> None:
    assert sign_in(web, "alice") == 303
    _, hidden = form_of(web, "ArrivalsReported")
    given = {
        "partner": "TN",
        "occurred_on": "2021-13-45",
        "period_start": "2021-01",
        "period_end": "2021-03",
        "route": "Central Mediterranean",
        "count": "-5",
        "source": "Frontex",
    }

    refused = web.post("/record/ArrivalsReported", data={**hidden, **given, "action": "preview"})

    assert refused.status_code == 400
    said = problems(refused.text)
    assert set(said) == {"occurred_on", "count"}
    cli = accord(
        demo_db,
        "submit",
        "ArrivalsReported",
        *[part for name, value in given.items() for part in (f"--{name.replace('_', '-')}", value)],
    )
    assert cli.exit_code != 0
    for field, sentence in said.items():
        # The same sentence, the field named by its label rather than its option.
        assert sentence.split(": ", 1)[1] in cli.output, (field, sentence, cli.output)
    assert 'value="2021-13-45"' in refused.text  # what was given, kept to correct


def test_the_domains_refusal_is_the_command_lines_sentence(web: TestClient, demo_db: str) -> None:
    assert sign_in(web, "alice") == 303
    _, hidden = form_of(web, "VisitHeld")
    given = {**VISIT, "partner": "BR"}  # a partnership never opened

    refused = web.post("/record/VisitHeld", data={**hidden, **given, "action": "preview"})

    assert refused.status_code == 400
    cli = accord(demo_db, "submit", "VisitHeld", "--partner", "BR", "--occurred-on", "2021-06-02", "--visitors", "X")
    sentence = cli.output.strip().splitlines()[-1].removeprefix("accord: ")
    assert unescape(re.search(r"<li>([^<]*)</li>", refused.text)[1]) == sentence  # type: ignore[index]


def test_only_who_the_policy_permits_records_and_never_without_the_forms_token_or_key(
    web: TestClient, demo_db: str
) -> None:
    _, hidden = form_of(web, "VisitHeld")
    anonymous = web.post("/record/VisitHeld", data={**hidden, **VISIT, "action": "record"}, follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")

    assert sign_in(web, "carol") == 303  # no role in the policy
    page, hidden = form_of(web, "VisitHeld")
    assert "carol has no role in the policy" in page
    assert web.post("/record/VisitHeld", data={**hidden, **VISIT, "action": "record"}).status_code == 403

    assert sign_in(web, "alice") == 303
    _, hidden = form_of(web, "VisitHeld")
    assert web.post("/record/VisitHeld", data={**VISIT, "key": hidden["key"], "action": "record"}).status_code == 403
    assert web.post("/record/VisitHeld", data={**VISIT, "csrf": hidden["csrf"], "action": "record"}).status_code == 400
    assert log(demo_db, "VisitHeld")[-1]["actor"] != "carol"


@pytest.mark.hostile
@pytest.mark.parametrize(
    "notes",
    ["<script>alert(1)</script>", "a NUL \x00 here", "x" * 200_000, "line\r\nFrom: forged@example.org", "\u202eevil"],
)
def test_hostile_text_in_a_form_is_refused_in_a_sentence_or_shown_as_text(web: TestClient, notes: str) -> None:
    assert sign_in(web, "alice") == 303
    _, hidden = form_of(web, "VisitHeld")

    answer = web.post("/record/VisitHeld", data={**hidden, **VISIT, "notes": notes, "action": "preview"})

    assert answer.status_code in (200, 400)
    assert "<script>alert(1)</script>" not in answer.text
    if answer.status_code == 400:
        assert problems(answer.text).get("notes")


COMMITMENT = {
    "partner": "TN",
    "funding": "tn-web-2021",
    "instrument": "NDICI-Global Europe",
    "occurred_on": "2021-06-20",
    "amount": "EUR 5000000",
    "title": "Border management",
}


def record(web: TestClient, type_name: str, given: dict[str, object]) -> int:
    """Record a fact through its form; its position in the log."""
    _, hidden = form_of(web, type_name)
    done = web.post(f"/record/{type_name}", data={**hidden, **given, "action": "record"}, follow_redirects=False)
    assert done.status_code == 303, done.text
    return int(done.headers["location"].rsplit("/", 1)[1])


def amend_form(web: TestClient, position: int, verb: str) -> tuple[str, dict[str, str]]:
    page = web.get(f"/audit/{position}/{verb}").text
    found = re.search(r'name="key" value="([^"]+)"', page)
    assert found is not None, page
    return page, {"csrf": token(page), "key": found[1]}


def test_a_fact_is_corrected_from_its_page_prefilled_with_a_reason_and_the_record_goes_by_it(
    web: TestClient, demo_db: str
) -> None:
    assert sign_in(web, "alice") == 303
    position = record(web, "FundingCommitted", COMMITMENT)
    assert f'href="/audit/{position}/correct">Correct it</a>' in web.get(f"/audit/{position}").text

    page, hidden = amend_form(web, position, "correct")
    assert 'value="EUR 5000000.00"' in page or 'value="EUR 5000000"' in page  # prefilled as it stands
    assert 'id="f-partner"' not in page  # what it is recorded on stays
    given = {**COMMITMENT, "amount": "EUR 4000000"}
    given.pop("partner")

    no_reason = web.post(f"/audit/{position}/correct", data={**hidden, **given, "reason": " "})
    unchanged = web.post(
        f"/audit/{position}/correct", data={**hidden, **{**given, "amount": "EUR 5000000"}, "reason": "x"}
    )
    done = web.post(
        f"/audit/{position}/correct", data={**hidden, **given, "reason": "the decision says 4M"}, follow_redirects=False
    )

    assert no_reason.status_code == 400 and problems(no_reason.text).get("reason")
    assert unchanged.status_code == 400 and "nothing was changed" in unchanged.text
    assert done.status_code == 303
    [correction] = log(demo_db, "FactCorrected")[-1:]
    assert correction["actor"] == "alice" and correction["position"] == int(done.headers["location"].rsplit("/", 1)[1])
    assert "Corrected: " in web.get(done.headers["location"]).text
    lines = as_json(accord(demo_db, "report", "funding", "--format", "json"))
    assert "4000000" in str(lines) and "5000000" not in str(lines).replace("5000000.00", "")


def test_a_correction_that_breaks_the_record_is_refused_in_the_command_lines_sentence(
    web: TestClient, demo_db: str
) -> None:
    assert sign_in(web, "alice") == 303
    position = record(web, "FundingCommitted", COMMITMENT)
    paid = accord(
        demo_db,
        "submit",
        "FundingDisbursed",
        "--partner",
        "TN",
        "--funding",
        "tn-web-2021",
        "--occurred-on",
        "2021-07-01",
        "--amount",
        "EUR 3000000",
    )
    assert paid.exit_code == 0, paid.output
    _, hidden = amend_form(web, position, "correct")
    given = {**COMMITMENT, "amount": "EUR 1000000"}
    given.pop("partner")

    refused = web.post(f"/audit/{position}/correct", data={**hidden, **given, "reason": "typo"})

    cli = accord(demo_db, "correct", "--position", str(position), "--set", "amount=EUR 1000000", "--reason", "typo")
    assert refused.status_code == 400 and cli.exit_code != 0
    sentence = unescape(re.search(r"<li>([^<]*)</li>", refused.text)[1])  # type: ignore[index]
    assert sentence == cli.output.strip().removeprefix("accord: ")


def test_a_fact_is_retracted_from_its_page_with_a_reason_and_then_says_so(web: TestClient, demo_db: str) -> None:
    assert sign_in(web, "alice") == 303
    position = record(web, "VisitHeld", VISIT)
    _, hidden = amend_form(web, position, "retract")

    done = web.post(f"/audit/{position}/retract", data={**hidden, "reason": "entered twice"}, follow_redirects=False)

    assert done.status_code == 303
    assert log(demo_db, "FactRetracted")[-1]["actor"] == "alice"
    assert "This fact was retracted" in web.get(f"/audit/{position}").text
    again = web.get(f"/audit/{position}/correct")
    assert again.status_code == 404 and "was retracted" in again.text
    visits = as_json(accord(demo_db, "tasks", "--partner", "MA", "--status", "open", "--json"))
    assert not any(task["source_type"] == "VisitHeld" and "2021-06-02" in task["basis"] for task in visits)


@pytest.mark.hostile
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("reason", "<script>alert(1)</script>"),
        ("reason", "a NUL \x00 here"),
        ("reason", "y" * 200_000),
        ("amount", "EUR 1e400"),
        ("amount", "<b>EUR</b> 5"),
        ("occurred_on", "2021-06-20\r\nX-Forged: 1"),
    ],
)
def test_hostile_values_in_a_correction_are_refused_in_a_sentence_or_shown_as_text(
    web: TestClient, demo_db: str, field: str, value: str
) -> None:
    assert sign_in(web, "alice") == 303
    position = record(web, "FundingCommitted", COMMITMENT)
    _, hidden = amend_form(web, position, "correct")
    given = {**COMMITMENT, "amount": "EUR 4000000", "reason": "typo", field: value}
    given.pop("partner")

    answer = web.post(f"/audit/{position}/correct", data={**hidden, **given}, follow_redirects=False)

    assert answer.status_code in (303, 400), answer.text
    assert "<script>alert(1)</script>" not in answer.text and "<b>EUR</b>" not in answer.text
    if answer.status_code == 400:
        assert problems(answer.text) or "Not recorded" in answer.text
    assert accord(demo_db, "audit", "verify").exit_code == 0
