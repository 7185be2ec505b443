"""How a rule reads a recorded event: whether it applies, when the task is
due and why, the task's title and owner, and the thread a later fact closes.

Facts are recorded at 2021-06-06 12:00 UTC (see conftest).
"""

from datetime import date
from decimal import Decimal
from uuid import uuid4

import pytest

from domain.approval import Proposal
from domain.base import record_fact
from domain.initiative import Initiative, Instrument
from domain.meeting import Meeting
from domain.partnership import Partnership
from domain.vocabulary import VOCABULARY
from workflows.rules import load_rules
from workflows.rules.engine import applies, due, opens, source_of, task_facts, thread_of
from workflows.rules.files import parse_rules

DEFAULTS = {r.name: r for r in load_rules().rule}
SUBJECTS = {
    Partnership: {"partner": "TN"},
    Meeting: {"meeting": "jha-council-2021-06-07"},
    Initiative: {"initiative": "smuggling-plan"},
    Instrument: {"instrument": "NDICI-Global Europe"},
}


def record(stamp, *steps):
    """Record (type, facts) steps in order on one record; the events recorded.
    Each fact is dated 2021-05-20 and concerns TN (or a meeting, initiative,
    instrument) unless it says otherwise."""
    aggregate, events = None, []
    for type_name, facts in steps:
        model = VOCABULARY[type_name]
        given = {**SUBJECTS[model.aggregate_class], "occurred_on": "2021-05-20", **facts}
        aggregate, recorded = record_fact(aggregate, model.aggregate_class, model.event_class, given, stamp())
        assert recorded
        events += aggregate.collect_events()
    return events


def on_tunisia(stamp, type_name, **facts):
    """One fact on the TN partnership (opened 2020-09-23)."""
    return record(stamp, ("PartnershipOpened", {"occurred_on": "2020-09-23"}), (type_name, facts))[-1]


def one_rule(text):
    [parsed] = parse_rules(text).rule
    return parsed


def custom(when, due='{ after = "occurred_on", days = 7 }', title="Do it", owner="someone", **settings):
    lines = [
        "[[rule]]",
        'name = "custom"',
        f'when = "{when}"',
        f'title = "{title}"',
        f'owner = "{owner}"',
        f"due = {due}",
    ]
    lines += [f"{key} = {value}" for key, value in settings.items()]
    return one_rule("\n".join(lines))


# Every event type that opens tasks does so on a typical fact

DIALOGUE = ("DialogueLaunched", {"dialogue": "tn-dialogue", "title": "EU-Tunisia dialogue"})
FUNDING = ("FundingCommitted", {"funding": "tn-f1", "instrument": "NDICI", "amount": "EUR 1000000"})
COMMITMENT = ("CommitmentRecorded", {"commitment": "c1", "party": "partner", "description": "Resume returns"})
OPENED = ("PartnershipOpened", {"occurred_on": "2020-09-23"})

TYPICAL = {
    "PartnershipOpened": [OPENED],
    "VisitPlanned": [OPENED, ("VisitPlanned", {"planned_for": "2021-07"})],
    "VisitHeld": [OPENED, ("VisitHeld", {"visitors": ["Commissioner Johansson"]})],
    "DialogueLaunched": [OPENED, DIALOGUE],
    "DialogueRoundHeld": [OPENED, DIALOGUE, ("DialogueRoundHeld", {"dialogue": "tn-dialogue"})],
    "FundingCommitted": [OPENED, FUNDING],
    "FundingIncreased": [OPENED, FUNDING, ("FundingIncreased", {"funding": "tn-f1", "amount": "EUR 500000"})],
    "FundingDisbursed": [OPENED, FUNDING, ("FundingDisbursed", {"funding": "tn-f1", "amount": "EUR 1000"})],
    "FundingDecommitted": [OPENED, FUNDING, ("FundingDecommitted", {"funding": "tn-f1", "amount": "EUR 1000"})],
    "CommitmentRecorded": [OPENED, COMMITMENT],
    "StatementReaffirmed": [OPENED, ("StatementReaffirmed", {"statement": "Joint statement"})],
    "OperationLaunched": [OPENED, ("OperationLaunched", {"operation": "JO", "starts_on": "2021-06-01"})],
    "TalentPartnershipLaunched": [OPENED, ("TalentPartnershipLaunched", {"title": "Talent Partnership"})],
    "ArrivalsReported": [
        OPENED,
        (
            "ArrivalsReported",
            {"period_start": "2021-01", "period_end": "2021-04", "route": "Central Med", "count": 3, "source": "X"},
        ),
    ],
    "MeetingScheduled": [("MeetingScheduled", {"body": "Justice and Home Affairs Council", "held_on": "2021-06-07"})],
    "MeetingHeld": [
        ("MeetingScheduled", {"body": "Justice and Home Affairs Council", "held_on": "2021-06-07"}),
        ("MeetingHeld", {"occurred_on": "2021-06-06"}),
    ],
    "InitiativeAnnounced": [("InitiativeAnnounced", {"title": "Action plan", "stage": "planned"})],
    "FundingEnvelopeSet": [("FundingEnvelopeSet", {"amount": "EUR 8000000000", "first_year": 2021, "last_year": 2027})],
}


def test_the_typical_facts_cover_every_type_that_triggers_a_default_rule():
    # A proposal is no fact: test_a_proposal_opens_an_approval_task_for_its_role says its rule.
    assert set(TYPICAL) == {r.when for r in DEFAULTS.values()} - {"FactProposed"}


def test_a_proposal_opens_an_approval_task_for_its_role_due_in_a_working_week(stamp):
    proposal = Proposal.propose(
        "FundingCommitted", uuid4(), "TN", {"amount": "EUR 1"}, "head-of-unit", 1, date(2027, 3, 1), stamp()
    )
    [event] = proposal.collect_events()
    [rule] = [r for r in DEFAULTS.values() if applies(r, event)]

    task = task_facts(rule, event)

    assert (task["title"], task["owner"], task["due_on"]) == (
        "Approve or reject the FundingCommitted proposed on TN",
        "head-of-unit",
        date(2027, 3, 6),
    )
    assert task["thread"] and rule.closed_by == ["FactApproved", "FactRejected"]


@pytest.mark.parametrize("type_name", sorted(TYPICAL))
def test_a_typical_fact_of_each_triggering_type_opens_a_default_task(stamp, type_name):
    event = record(stamp, *TYPICAL[type_name])[-1]

    assert [r.name for r in DEFAULTS.values() if applies(r, event)]


@pytest.mark.parametrize(
    "steps",
    [
        [OPENED, ("PartnershipNoteAdded", {"text": "A note"})],
        [OPENED, COMMITMENT, ("CommitmentFulfilled", {"commitment": "c1"})],
        [OPENED, COMMITMENT, ("CommitmentLapsed", {"commitment": "c1"})],
        [
            ("InitiativeAnnounced", {"title": "Action plan", "stage": "planned"}),
            ("InitiativeAdvanced", {"stage": "adopted"}),
        ],
    ],
    ids=["note", "fulfilled", "lapsed", "advanced"],
)
def test_notes_and_closing_facts_open_no_default_task(stamp, steps):
    event = record(stamp, *steps)[-1]

    assert not [r.name for r in DEFAULTS.values() if applies(r, event)]


# applies: type, where, requires, absent


def test_a_rule_does_not_apply_to_another_event_type(stamp):
    event = on_tunisia(stamp, "VisitHeld", visitors=["A"])

    assert not applies(DEFAULTS["partnership-opened-name-a-desk"], event)
    assert applies(DEFAULTS["visit-held-follow-up"], event)


@pytest.mark.parametrize(
    ("stage", "opens"), [("planned", True), ("proposed", True), ("adopted", False), ("launched", False)]
)
def test_where_with_a_list_applies_to_any_value_in_it(stamp, stage, opens):
    [event] = record(stamp, ("InitiativeAnnounced", {"title": "Action plan", "stage": stage}))

    assert applies(DEFAULTS["initiative-announced-follow-to-next-stage"], event) is opens


def test_where_with_one_value_compares_an_enum_by_its_value(stamp):
    rule = custom("CommitmentRecorded", where='{ party = "eu" }')
    by_eu = on_tunisia(stamp, "CommitmentRecorded", commitment="c1", party="eu", description="Fund it")
    by_partner = on_tunisia(stamp, "CommitmentRecorded", commitment="c1", party="partner", description="Do it")

    assert applies(rule, by_eu)
    assert not applies(rule, by_partner)


def test_where_compares_plain_text_and_numbers(stamp):
    by_route = custom("ArrivalsReported", where='{ route = "Central Med", count = 3 }')
    facts = {"period_start": "2021-01", "period_end": "2021-04", "source": "X"}

    assert applies(by_route, on_tunisia(stamp, "ArrivalsReported", route="Central Med", count=3, **facts))
    assert not applies(by_route, on_tunisia(stamp, "ArrivalsReported", route="Central Med", count=4, **facts))
    assert not applies(by_route, on_tunisia(stamp, "ArrivalsReported", route="Eastern Med", count=3, **facts))


def test_requires_and_absent_split_visits_with_and_without_a_date(stamp):
    dated = on_tunisia(stamp, "VisitPlanned", planned_for="2021-07")
    undated = on_tunisia(stamp, "VisitPlanned")

    assert applies(DEFAULTS["visit-planned-prepare"], dated)
    assert not applies(DEFAULTS["visit-planned-set-a-date"], dated)
    assert applies(DEFAULTS["visit-planned-set-a-date"], undated)
    assert not applies(DEFAULTS["visit-planned-prepare"], undated)


def test_requires_treats_empty_text_and_empty_lists_as_not_given(stamp):
    rule = custom("VisitHeld", requires='["place", "topics"]')

    assert not applies(rule, on_tunisia(stamp, "VisitHeld", visitors=["A"]))
    assert not applies(rule, on_tunisia(stamp, "VisitHeld", visitors=["A"], place="Tunis"))
    assert applies(rule, on_tunisia(stamp, "VisitHeld", visitors=["A"], place="Tunis", topics=["returns"]))


def test_absent_refuses_a_fact_that_gives_the_field(stamp):
    rule = custom("VisitHeld", absent='["met"]')

    assert applies(rule, on_tunisia(stamp, "VisitHeld", visitors=["A"]))
    assert not applies(rule, on_tunisia(stamp, "VisitHeld", visitors=["A"], met=["Minister"]))


def test_a_rule_counting_from_an_empty_date_does_not_apply(stamp):
    rule = custom("VisitPlanned", due='{ before = "planned_for", days = 7 }')

    assert not applies(rule, on_tunisia(stamp, "VisitPlanned"))
    assert applies(rule, on_tunisia(stamp, "VisitPlanned", planned_for="2021-07-01"))


# due: dates known to the day, month or year; after and before; days from a field


@pytest.mark.parametrize(
    ("occurred_on", "due_on", "basis"),
    [
        ("2021-05-20", date(2021, 6, 19), "30 days after occurred on 2021-05-20"),
        (
            "2021-02",
            date(2021, 3, 30),
            "30 days after occurred on 2021-02 (a month only: counted from its last day, 2021-02-28)",
        ),
        (
            "2020",
            date(2021, 1, 30),
            "30 days after occurred on 2020 (a year only: counted from its last day, 2020-12-31)",
        ),
    ],
    ids=["day", "month", "year"],
)
def test_a_task_after_a_date_counts_from_its_last_possible_day(stamp, occurred_on, due_on, basis):
    event = on_tunisia(stamp, "VisitHeld", visitors=["A"], occurred_on=occurred_on)

    assert due(DEFAULTS["visit-held-follow-up"], event) == (due_on, f"rule visit-held-follow-up: {basis}")


@pytest.mark.parametrize(
    ("held_on", "due_on", "basis"),
    [
        ("2021-06-24", date(2021, 6, 17), "7 days before held on 2021-06-24"),
        (
            "2021-07",
            date(2021, 6, 24),
            "7 days before held on 2021-07 (a month only: counted from its first day, 2021-07-01)",
        ),
        (
            "2022",
            date(2021, 12, 25),
            "7 days before held on 2022 (a year only: counted from its first day, 2022-01-01)",
        ),
    ],
    ids=["day", "month", "year"],
)
def test_a_task_before_a_date_counts_from_its_first_possible_day(stamp, held_on, due_on, basis):
    [event] = record(stamp, ("MeetingScheduled", {"body": "European Council", "held_on": held_on}))

    assert due(DEFAULTS["meeting-scheduled-prepare-briefing"], event) == (
        due_on,
        f"rule meeting-scheduled-prepare-briefing: {basis}",
    )


def test_days_from_a_field_use_the_facts_value(stamp):
    event = on_tunisia(stamp, "DialogueLaunched", dialogue="d", title="Dialogue", cadence_days=45)

    assert due(DEFAULTS["dialogue-launched-first-round"], event) == (
        date(2021, 7, 4),
        "rule dialogue-launched-first-round: 45 days after occurred on 2021-05-20",
    )


def test_days_from_an_empty_field_use_default_days(stamp):
    event = on_tunisia(stamp, "DialogueLaunched", dialogue="d", title="Dialogue")

    assert due(DEFAULTS["dialogue-launched-first-round"], event) == (
        date(2021, 8, 18),
        "rule dialogue-launched-first-round: 90 days after occurred on 2021-05-20",
    )


def test_days_from_a_field_holding_zero_use_zero_not_the_default(stamp):
    rule = custom("ArrivalsReported", due='{ after = "period_end", days = "count", default_days = 30 }')
    event = on_tunisia(
        stamp, "ArrivalsReported", period_start="2021-01-01", period_end="2021-04-30", route="R", count=0, source="X"
    )

    assert due(rule, event) == (date(2021, 4, 30), "rule custom: on period end 2021-04-30")


def test_a_task_due_on_the_date_itself_says_on_that_date(stamp):
    event = on_tunisia(stamp, "CommitmentRecorded", commitment="c1", party="eu", description="Fund", due_on="2021-09")

    assert due(DEFAULTS["commitment-recorded-verify"], event) == (
        date(2021, 9, 30),
        "rule commitment-recorded-verify: on due on 2021-09 (a month only: counted from its last day, 2021-09-30)",
    )


def test_a_task_may_count_from_a_date_other_than_when_it_happened(stamp):
    event = on_tunisia(stamp, "OperationLaunched", operation="JO", starts_on="2021-06-16")

    assert due(DEFAULTS["operation-launched-first-results"], event) == (
        date(2021, 8, 15),
        "rule operation-launched-first-results: 60 days after starts on 2021-06-16",
    )


# task_facts: what the task says


def test_a_task_names_its_source_rule_subject_partner_and_due_date(stamp):
    event = on_tunisia(stamp, "VisitHeld", visitors=["A"], occurred_on="2021-05")

    facts = task_facts(DEFAULTS["visit-held-follow-up"], event)

    assert facts == {
        "source": f"{event.originator_id}/2",
        "source_type": "VisitHeld",
        "subject": "TN",
        "partner": "TN",
        "rule": "visit-held-follow-up",
        "title": "Follow up on the visit to Tunisia of May 2021: report and next steps",
        "owner": "desk:TN",
        "due_on": date(2021, 6, 30),
        "basis": "rule visit-held-follow-up: 30 days after occurred on 2021-05 "
        "(a month only: counted from its last day, 2021-05-31)",
        "thread": "",
    }
    assert source_of(event) == facts["source"]


def test_a_title_joins_lists_with_commas(stamp):
    rule = custom("VisitHeld", title="Thank {visitors} for meeting {met}")
    event = on_tunisia(stamp, "VisitHeld", visitors=["Commissioner Johansson", "Minister Lamorgese"], met=["PM"])

    assert task_facts(rule, event)["title"] == "Thank Commissioner Johansson, Minister Lamorgese for meeting PM"


def test_a_title_shows_enums_by_their_value(stamp):
    event = on_tunisia(stamp, "CommitmentRecorded", commitment="c1", party="member_state", description="Resettle")

    title = task_facts(DEFAULTS["commitment-recorded-agree-a-date"], event)["title"]

    assert title == "Agree a date for, then verify, the commitment by a member state (Tunisia): Resettle"


def test_a_title_shows_money_with_its_currency_and_thousands_separated(stamp):
    [*_, event] = record(
        stamp, OPENED, ("FundingCommitted", {"funding": "f1", "instrument": "NDICI", "amount": "EUR 1000"})
    )

    title = task_facts(DEFAULTS["funding-committed-first-disbursement"], event)["title"]

    assert event.amount.amount == Decimal(1000)
    assert title == "Confirm the first disbursement of f1 (EUR 1,000, NDICI)"


def test_an_envelope_task_shows_amount_and_years(stamp):
    [event] = record(stamp, *TYPICAL["FundingEnvelopeSet"])

    facts = task_facts(DEFAULTS["envelope-set-programme"], event)

    assert facts["title"] == "Programme the NDICI-Global Europe envelope for migration (EUR 8,000,000,000, 2021-2027)"
    assert (facts["subject"], facts["partner"], facts["owner"]) == ("NDICI-Global Europe", None, "finance")


def test_a_title_writes_a_count_as_people_do_and_a_year_as_it_is(stamp):
    event = on_tunisia(
        stamp,
        "ArrivalsReported",
        count=3000,
        route="Central Mediterranean",
        period_start="2021-01-01",
        period_end="2021-06-06",
        source="UNHCR",
    )

    title = task_facts(DEFAULTS["arrivals-reported-assess"], event)["title"]

    assert title == "Assess arrivals from Tunisia by the Central Mediterranean route (3,000, UNHCR)"


def test_a_task_on_a_meeting_has_no_partner_and_may_name_its_subject(stamp):
    rule = custom("MeetingScheduled", title="Brief for {subject} ({partner_name})", owner="cabinet")
    [event] = record(stamp, *TYPICAL["MeetingScheduled"])

    facts = task_facts(rule, event)

    assert facts["title"] == "Brief for jha-council-2021-06-07 ()"
    assert (facts["partner"], facts["subject"]) == (None, "jha-council-2021-06-07")


def test_an_owner_takes_the_facts_values(stamp):
    rule = custom("CommitmentRecorded", owner="{party}:{partner}")
    event = on_tunisia(stamp, "CommitmentRecorded", commitment="c1", party="eu", description="Fund it")

    assert task_facts(rule, event)["owner"] == "eu:TN"


def test_an_owner_or_title_that_comes_out_empty_falls_back_rather_than_stopping_the_follower(stamp):
    rule = custom("CommitmentRecorded", owner="{by}", title="{source}")
    event = on_tunisia(stamp, "CommitmentRecorded", commitment="c1", party="eu", description="Fund it")

    facts = task_facts(rule, event)
    assert (facts["owner"], facts["title"]) == ("unassigned", rule.name)


# thread_of: what a closing fact must share with the trigger


def test_a_closing_fact_on_the_same_commitment_shares_the_triggers_thread(stamp):
    recorded, fulfilled = record(stamp, OPENED, COMMITMENT, ("CommitmentFulfilled", {"commitment": "c1"}))[1:]
    rule = DEFAULTS["commitment-recorded-agree-a-date"]

    assert thread_of(rule, fulfilled) == thread_of(rule, recorded) == task_facts(rule, recorded)["thread"]
    assert thread_of(rule, recorded) == f"commitment-recorded-agree-a-date|{recorded.originator_id}|commitment=c1"


def test_a_closing_fact_on_another_commitment_has_another_thread(stamp):
    other = ("CommitmentRecorded", {"commitment": "c2", "party": "eu", "description": "Fund"})
    recorded, _, lapsed = record(stamp, OPENED, COMMITMENT, other, ("CommitmentLapsed", {"commitment": "c2"}))[1:]
    rule = DEFAULTS["commitment-recorded-agree-a-date"]

    assert thread_of(rule, lapsed) != thread_of(rule, recorded)


def test_the_same_commitment_ref_with_another_partner_has_another_thread(stamp):
    tunisia = record(stamp, *TYPICAL["CommitmentRecorded"])[-1]
    morocco = record(
        stamp, ("PartnershipOpened", {"partner": "MA"}), ("CommitmentRecorded", {**COMMITMENT[1], "partner": "MA"})
    )[-1]
    rule = DEFAULTS["commitment-recorded-verify"]

    assert thread_of(rule, tunisia) != thread_of(rule, morocco)


def test_a_meeting_held_shares_the_thread_of_its_own_scheduling_only(stamp):
    scheduled, held = record(stamp, *TYPICAL["MeetingHeld"])
    [other] = record(
        stamp, ("MeetingScheduled", {"meeting": "euco", "body": "European Council", "held_on": "2021-06-24"})
    )
    rule = DEFAULTS["meeting-scheduled-prepare-briefing"]

    assert thread_of(rule, held) == thread_of(rule, scheduled)
    assert thread_of(rule, held) != thread_of(rule, other)


def test_a_dialogue_round_shares_the_thread_of_its_launch_and_of_earlier_rounds(stamp):
    launched, first, second = record(
        stamp, *TYPICAL["DialogueRoundHeld"], ("DialogueRoundHeld", {"dialogue": "tn-dialogue"})
    )[1:]
    launch_rule, round_rule = DEFAULTS["dialogue-launched-first-round"], DEFAULTS["dialogue-round-held-next-round"]

    assert thread_of(launch_rule, first) == thread_of(launch_rule, launched)
    assert thread_of(round_rule, second) == thread_of(round_rule, first)
    assert thread_of(launch_rule, first) != thread_of(round_rule, first)


def test_a_task_of_a_rule_without_closers_has_no_thread(stamp):
    event = on_tunisia(stamp, "VisitHeld", visitors=["A"])

    assert task_facts(DEFAULTS["visit-held-follow-up"], event)["thread"] == ""


@pytest.mark.parametrize(
    ("where", "facts"),
    [
        ('{ occurred_on = "2021-05-20" }', {"occurred_on": "2021-05-20"}),
        ('{ pillars = "protection" }', {"pillars": ["protection"]}),
    ],
    ids=["date-field", "list-field"],
)
def test_a_where_condition_that_passes_the_check_matches_a_fact_that_meets_it(stamp, where, facts):
    # rules check accepts these conditions, so a fact that says exactly that must meet them.
    rule = custom("VisitHeld", where=where)

    assert applies(rule, on_tunisia(stamp, "VisitHeld", visitors=["A"], **facts))


# History: tasks due long before their fact was recorded


@pytest.mark.parametrize(
    ("history_days", "occurred_on", "opens_it"),
    [
        (None, "2005-03-01", True),  # no horizon: every task opens
        (365, "2005-03-01", False),  # due 2005-03-08, recorded 2021-06-06: history
        (365, "2020-06-01", True),  # due 2020-06-08: within a year of the recording
        (0, "2021-05-29", False),  # due 2021-06-05, the day before the one recorded
        (0, "2021-06-06", True),  # due a week after the day recorded
    ],
)
def test_a_task_due_further_back_than_the_history_horizon_is_not_opened(stamp, history_days, occurred_on, opens_it):
    event = on_tunisia(stamp, "PartnershipNoteAdded", text="note", occurred_on=occurred_on)
    rules = parse_rules(f"history_days = {history_days}\n" if history_days is not None else "")

    assert opens(rules, custom("PartnershipNoteAdded"), event) is opens_it
