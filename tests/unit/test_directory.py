"""The directory of people: who each owner is and how to reach them; every
problem a directory file can have, named with its place; and who each kind
of message goes to."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.delivery.directory import Directory, DirectoryError, Person, load_directory

GOOD = """\
# Who each owner in the record is, and how to reach them.
[people."desk:TN"]
name = "Tunisia desk"
email = ["amira.bensalah@example.eu", "desk-tn@example.eu"]
webhook = "https://chat.example.eu/hooks/desk-tn"

[people."head-of-unit"]
email = ["head.unit@example.eu"]

[people.cabinet]
email = "cabinet@example.eu"

[people."desk:MA"]
webhook = "http://chat.example.eu/hooks/desk-ma"

[route]
escalation = ["head-of-unit"]
portfolio = ["head-of-unit", "cabinet"]
briefing = ["cabinet"]
"""


def written(tmp_path: Path, text: str | bytes) -> str:
    path = tmp_path / "directory.toml"
    path.write_bytes(text.encode() if isinstance(text, str) else text)
    return str(path)


def problems(tmp_path: Path, text: str | bytes) -> list[str]:
    with pytest.raises(DirectoryError) as caught:
        load_directory(written(tmp_path, text))
    assert str(caught.value).startswith(f"{caught.value.path}: ")
    return caught.value.problems


@pytest.fixture
def directory(tmp_path: Path) -> Directory:
    return load_directory(written(tmp_path, GOOD))


def test_a_good_directory_names_each_person_and_their_channels(directory: Directory) -> None:
    assert directory.person("desk:TN") == Person(
        name="Tunisia desk",
        email=["amira.bensalah@example.eu", "desk-tn@example.eu"],
        webhook="https://chat.example.eu/hooks/desk-tn",
    )
    assert directory.person("cabinet") == Person(email=["cabinet@example.eu"])  # one address, no brackets
    assert directory.person("desk:MA") == Person(webhook="http://chat.example.eu/hooks/desk-ma")
    assert directory.person("desk:EG") is None


def test_a_reminder_goes_to_its_owner_if_the_directory_knows_them(directory: Directory) -> None:
    assert directory.for_reminder("desk:TN") == ["desk:TN"]
    assert directory.for_reminder("desk:EG") == []


def test_an_escalation_at_level_2_also_goes_to_the_escalation_route_once(directory: Directory) -> None:
    assert directory.for_escalation("desk:TN", level=1) == ["desk:TN"]
    assert directory.for_escalation("desk:TN", level=2) == ["desk:TN", "head-of-unit"]
    assert directory.for_escalation("head-of-unit", level=2) == ["head-of-unit"]
    assert directory.for_escalation("desk:EG", level=2) == ["head-of-unit"]


def test_each_dispatch_goes_to_its_route(directory: Directory) -> None:
    assert directory.for_dispatch("digest", "desk:TN") == ["desk:TN"]
    assert directory.for_dispatch("digest", "desk:EG") == []
    assert directory.for_dispatch("portfolio") == ["head-of-unit", "cabinet"]
    assert directory.for_dispatch("briefing") == ["cabinet"]
    with pytest.raises(ValueError, match="no dispatch of kind 'memo'; known: digest, portfolio, briefing"):
        directory.for_dispatch("memo")


def test_routes_are_optional(tmp_path: Path) -> None:
    directory = load_directory(written(tmp_path, '[people.cabinet]\nemail = ["cabinet@example.eu"]\n'))

    assert directory.for_escalation("cabinet", level=2) == ["cabinet"]
    assert directory.for_dispatch("portfolio") == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            '[people."desk:TN"]\nemail = ["a@example.eu", "desk-tn@"]\n',
            "people.\"desk:TN\".email[1]: 'desk-tn@' is not an email address: There must be something after the @",
        ),
        (
            '[people.cabinet]\nemail = "cabinet.example.eu"\n',
            "people.cabinet.email[0]: 'cabinet.example.eu' is not an email address",
        ),
        (
            '[people.cabinet]\nwebhook = "ftp://chat.example.eu/hooks"\n',
            "people.cabinet.webhook: 'ftp://chat.example.eu/hooks' is not an http:// or https:// address",
        ),
        (
            '[people.cabinet]\nemail = []\nphone = "+32 2 000 00 00"\n',
            "people.cabinet.phone is not said of a person (name, email, webhook)",
        ),
        (
            '[people.cabinet]\nemail = ["c@example.eu"]\n[route]\nbriefing = ["cabinet", "nobody"]\n',
            "route.briefing[1]: 'nobody' is not one of the [people]",
        ),
        (
            '[people.cabinet]\nemail = ["c@example.eu"]\n[route]\nmemo = ["cabinet"]\n',
            "route.memo is not a route (escalation, portfolio, briefing, auditors)",
        ),
        (
            '[people.cabinet]\nemail = ["c@example.eu"]\n[roles]\n',
            "[roles] is not a section of a directory (people, route)",
        ),
        ("[route]\n", "[people] is missing"),
        ('[people.cabinet]\nemail = ["c@example.eu"\n', "not valid TOML: "),
    ],
)
def test_each_problem_is_named_with_its_place(tmp_path: Path, text: str, said: str) -> None:
    found = problems(tmp_path, text)

    assert len(found) == 1, found
    assert found[0].startswith(said), found


def test_every_problem_is_named_not_only_the_first(tmp_path: Path) -> None:
    found = problems(tmp_path, '[people.a]\nemail = ["x"]\n[people.b]\nwebhook = "mailto:b@example.eu"\n')

    assert [problem.split(":")[0] for problem in found] == ["people.a.email[0]", "people.b.webhook"]


def test_a_person_nothing_can_reach_is_named_with_what_is_missing(tmp_path: Path) -> None:
    text = GOOD + '[people.nobody]\nname = "No address"\n'
    directory = load_directory(written(tmp_path, text))  # the others are told: the scheduler goes on

    assert directory.unroutable(signed=True) == [
        "nobody has no email address and no webhook: nothing reaches them; give one"
    ]
    assert directory.person("nobody").channels == ["email"]  # type: ignore[union-attr]
    assert directory.missing("nobody", "email", signed=True) == "nobody has no email address in the directory"
    assert directory.missing("head-of-unit", "webhook", signed=True) == "head-of-unit has no webhook in the directory"
    assert directory.missing("desk:TN", "email", signed=False) is None
    assert directory.missing("someone", "email", signed=True) == "someone is not in the directory"


def test_a_webhook_with_no_secret_to_sign_it_is_named(directory: Directory) -> None:
    unsigned = [
        f"{owner} has a webhook, but no secret to sign it with is set (ACCORD_WEBHOOK_SECRET)"
        for owner in ("desk:TN", "desk:MA")
    ]

    assert [said.split(": webhooks")[0] for said in directory.unroutable(signed=False)] == unsigned
    assert directory.unroutable(signed=True) == []
    assert directory.missing("desk:MA", "webhook", signed=False) == unsigned[1] + ": webhooks are never sent unsigned"
    assert directory.missing("desk:MA", "webhook", signed=True) is None


def test_toml_errors_say_their_line(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, '[people.cabinet]\nemail = ["c@example.eu"]\nname = \n')

    assert "(at line 3, column 8)" in problem


def test_a_byte_order_mark_is_dropped(tmp_path: Path) -> None:
    directory = load_directory(written(tmp_path, b"\xef\xbb\xbf" + GOOD.encode()))

    assert directory.for_dispatch("briefing") == ["cabinet"]


def test_a_file_not_in_utf8_is_refused_in_a_sentence(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, '[people.cabinet]\nname = "Cabinet du Commissaire délégué"\n'.encode("latin-1"))

    assert problem == "is not UTF-8 text (byte 0xe9 at offset 49): save it as UTF-8"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(DirectoryError, match=r"nowhere\.toml: cannot be read: No such file or directory"):
        load_directory(str(tmp_path / "nowhere.toml"))
