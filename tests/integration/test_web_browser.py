"""The web console in a real browser: `accord serve` on 127.0.0.1 and
Debian's Chromium driven by Playwright. Every page walked from the
navigation with no error in the browser's console (a page breaking its own
Content-Security-Policy says so there), time travel through the form, and
HTML and script put in free-text fields staying inert text."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.helpers import submit_rows

pytestmark = pytest.mark.integration

CHROMIUM = shutil.which("chromium")
ACCORD = str(Path(sys.executable).with_name("accord"))
PASSWORD = "alice has a long password"
PAYLOADS = (
    "<script>window.hacked = 1; alert(1)</script>",
    '<img src=x onerror="window.hacked = 2; alert(2)">',
    '"><svg onload="window.hacked = 3">',
)

if CHROMIUM is None:
    pytest.skip(
        "no chromium on PATH: install Debian's with `apt-get install -y chromium` (.ci/run does)",
        allow_module_level=True,
    )
playwright = pytest.importorskip("playwright.sync_api", reason="Playwright comes with the dev extra")


@pytest.fixture
def users(tmp_path: Path) -> dict[str, str]:
    """The environment naming the console's users file and policy (alice
    and bob may change tasks), with alice's account made: for `accord
    users` run beside the console, as an administrator would."""
    (tmp_path / "policy.toml").write_text('[roles]\ndesks = ["alice", "bob"]\n')
    env = {**os.environ, "ACCORD_USERS": str(tmp_path / "users.toml"), "ACCORD_POLICY": str(tmp_path / "policy.toml")}
    subprocess.run(
        [ACCORD, "users", "add", "alice", "--password-stdin"], input=PASSWORD, text=True, env=env, check=True
    )
    return env


@pytest.fixture
def site(demo_db: str, tmp_path: Path, users: dict[str, str]) -> Iterator[str]:
    """`accord serve` over the demo, on a free port, with the `users`
    fixture's users file and policy; its address."""
    yield from serving(demo_db, tmp_path, users)


def serving(demo_db: str, tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """`accord serve` over the store in this environment, on a free port, until closed; its address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([ACCORD, "--db", demo_db, "serve", "--port", str(port)], stdout=log, stderr=log, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(url + "/accord.css").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, "accord serve did not answer within 30 s"
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


@pytest.fixture
def browser() -> Iterator[object]:
    with playwright.sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


class Tab:
    """A page in the browser that notes every console error and dialog."""

    def __init__(self, browser: object) -> None:
        self.page = browser.new_page()  # type: ignore[attr-defined]
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: (self.dialogs.append(dialog.message), dialog.dismiss()))


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_every_page_walked_from_the_navigation_shows_its_record_without_an_error(site: str, browser: object) -> None:
    tab = Tab(browser)
    tab.page.goto(site + "/")
    names = tab.page.locator("header.site nav a").all_inner_texts()
    assert names == ["Portfolio", "Tasks", "Meetings", "Funding", "What changed", "Audit log", "Record", "Approvals"]

    for name in names[:-1]:
        tab.page.locator("header.site nav a", has_text=name).click()
        assert tab.page.locator("h1").first.is_visible()
        assert tab.page.locator("header.site nav a[aria-current=page]").inner_text() == name
    # What awaits whose approval is each user's own: someone signed out signs in first.
    tab.page.locator("header.site nav a", has_text="Approvals").click()
    assert tab.page.url == site + "/login?next=/approvals"
    tab.page.goto(site + "/meetings")
    tab.page.locator("tbody a").first.click()
    assert tab.page.locator("h1").inner_text().startswith("Briefing:")
    tab.page.goto(site + "/audit")
    tab.page.locator("tbody a").first.click()
    assert "Chain digest" in tab.page.content()
    tab.page.goto(site + "/tasks")
    tab.page.select_option("select[name=status]", "all")
    tab.page.select_option("select[name=owner]", "cabinet")
    tab.page.locator("form.filters button").click()
    owners = tab.page.locator("tbody tr td:nth-child(4)").all_inner_texts()
    assert owners and set(owners) == {"cabinet"}
    assert tab.errors == [] and tab.dialogs == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_the_date_picker_shows_the_record_as_it_stood_and_links_keep_the_moment(site: str, browser: object) -> None:
    tab = Tab(browser)
    tab.page.goto(site + "/")
    now = tab.page.locator("dl.figures").first.inner_text()

    tab.page.fill("input[name=as_of]", "2021-05-01")
    tab.page.locator("form.moment button").click()

    assert tab.page.locator(".banner").inner_text() == "The record as of 2021-05-01 (what had happened by then)."
    assert tab.page.locator("dl.figures").first.inner_text() != now
    tab.page.locator("header.site nav a", has_text="Tasks").click()
    assert "as_of=2021-05-01" in tab.page.url
    assert "overdue judged on 1 May 2021" in tab.page.locator("caption").inner_text()
    tab.page.locator("a", has_text="Back to now").click()
    assert tab.page.locator(".banner").count() == 0
    assert tab.errors == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_html_and_script_in_every_free_text_field_stay_inert_text(demo_db: str, site: str, browser: object) -> None:
    rows = []
    for n, payload in enumerate(PAYLOADS):
        rows += [
            {"type": "PartnershipNoteAdded", "partner": "TN", "occurred_on": "2021-06-01", "text": payload},
            {
                "type": "VisitHeld",
                "partner": "TN",
                "occurred_on": f"2021-06-0{n + 2}",
                "visitors": [payload],
                "place": payload,
                "notes": payload,
            },
            {
                "type": "MeetingScheduled",
                "meeting": f"payload-{n}",
                "occurred_on": "2021-06-01",
                "body": payload,
                "title": payload,
                "held_on": "2021-07-01",
                "partners": ["TN"],
            },
        ]
    result = submit_rows(demo_db, *rows)
    assert result.exit_code == 0, result.output
    tab = Tab(browser)

    for path in ["/", "/partners/TN", "/tasks?status=all", "/meetings", "/meetings/payload-0", "/audit?after=0"]:
        tab.page.goto(site + path)
        assert tab.page.evaluate("window.hacked") is None, path
        assert tab.page.locator('script:not([src="/accord.js"]), img[src=x], svg[onload]').count() == 0, path
    tab.page.goto(site + "/meetings")
    assert tab.page.get_by_text(PAYLOADS[0]).count() >= 1  # shown, as text
    assert tab.dialogs == [] and tab.errors == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_user_signs_in_and_assigns_a_task_from_its_page(site: str, browser: object) -> None:
    tab = Tab(browser)
    tab.page.goto(site + "/tasks")
    tab.page.locator("tbody a").first.click()
    task_page = tab.page.url
    tab.page.locator("a", has_text="Sign in").last.click()

    tab.page.fill("input[name=name]", "alice")
    tab.page.fill("input[name=password]", PASSWORD)
    tab.page.locator("main form button").click()
    tab.page.goto(task_page)
    tab.page.fill("input[name=owner]", "desk:MA")
    tab.page.locator("button", has_text="Assign").click()

    assert tab.page.locator(".banner").inner_text() == "Task assigned."
    assert "desk:MA" in tab.page.locator("dl.figures").inner_text()
    assert "Signed in as alice" in tab.page.locator("header.site .who").inner_text()
    tab.page.locator("button", has_text="Sign out").click()
    assert tab.page.locator("header.site .who").inner_text().strip() == "Sign in"
    assert tab.errors == [] and tab.dialogs == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_page_shows_a_fact_recorded_meanwhile_within_seconds_without_a_reload(
    demo_db: str, site: str, browser: object
) -> None:
    tab = Tab(browser)
    tab.page.goto(site + "/partners/TN")
    tab.page.evaluate("window.loaded = 'once'")
    visits = tab.page.locator("dl.figures div", has_text="Visits").first.inner_text()

    visit = {"type": "VisitHeld", "partner": "TN", "occurred_on": "2021-06-03", "visitors": ["A live visitor"]}
    assert submit_rows(demo_db, visit).exit_code == 0
    tab.page.wait_for_function(
        "text => !document.querySelector('dl.figures').innerText.includes(text)", arg=visits, timeout=10_000
    )

    assert tab.page.evaluate("window.loaded") == "once"  # the same page: not reloaded
    assert "A live visitor" in tab.page.locator("main").inner_text()
    assert tab.errors == []


AXE = Path(__file__).parents[2] / ".venv" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
# Where the browser tests keep their screenshots, for people to look at after a run.
SHOTS = Path(os.environ.get("ACCORD_SCREENSHOTS", Path(__file__).parents[2] / "build" / "screenshots"))
# Every kind of page, by the name its screenshots take: {task} is an open
# task's page, {visit} a visit's in the log (each form of /record is added
# from that page's links).
PAGES = {
    "portfolio": "/",
    "portfolio-as-of": "/?as_of=2021-05-01",
    "partner": "/partners/TN",
    "partner-as-of": "/partners/TN?as_of=2021-05-01",
    "tasks": "/tasks",
    "task": "{task}",
    "meetings": "/meetings",
    "briefing": "/meetings/jha-council-2021-06-07",
    "funding": "/funding",
    "changes": "/changes",
    "audit": "/audit",
    "event": "/audit/1",
    "visit": "{visit}",
    "correct": "{visit}/correct",
    "retract": "{visit}/retract",
    "login": "/login",
    "record": "/record",
    "approvals": "/approvals",
    "delegations": "/delegations",
    "search": "/search",
    "search-found": "/search?q=smuggling",
    "search-nothing": "/search?q=zanzibar",
    "not-found": "/no-such-page",
    "unknown-partner": "/partners/XX",
    "not-understood": "/tasks?status=someday",
}


def shoot(page: object, name: str) -> None:
    """The page as it stands, at 1280 and at 390 px wide (a phone), kept
    in SHOTS: never wider than the screen (no sideways scroll)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)  # type: ignore[attr-defined]
        assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, width)  # type: ignore[attr-defined]


def serious_violations(page: object, name: str) -> list[str]:
    """What axe-core finds serious or critical on the page as it stands, at
    390 and at 1280 px wide (the page's context must bypass its CSP)."""
    page.add_script_tag(path=str(AXE))  # type: ignore[attr-defined]
    found = []
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})  # type: ignore[attr-defined]
        violations = page.evaluate("async () => (await axe.run(document)).violations")  # type: ignore[attr-defined]
        found += [
            f"{name} at {width} px: {v['id']} ({v['impact']}): {v['help']}: {[n['target'] for n in v['nodes'][:3]]}"
            for v in violations
            if v["impact"] in ("serious", "critical")
        ]
    return found


def sign_in(page: object, site: str, name: str = "alice", password: str = PASSWORD) -> None:
    page.goto(site + "/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", name)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.locator("main form button").click()  # type: ignore[attr-defined]


def first_link(page: object, site: str, path: str) -> str:
    """Where the first link of the table at `path` leads."""
    page.goto(site + path)  # type: ignore[attr-defined]
    return str(page.locator("tbody a").first.get_attribute("href"))  # type: ignore[attr-defined]


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: scripts/_setup installs it with npm")
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_every_page_and_form_passes_an_accessibility_check_and_fits_a_phone(site: str, browser: object) -> None:
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]  # to let axe in
    page = context.new_page()
    sign_in(page, site)  # the forms that change the record are shown to those signed in
    task, visit = first_link(page, site, "/tasks"), first_link(page, site, "/audit?type=VisitHeld")
    page.goto(site + "/record")
    forms = page.locator("main a[href^='/record/']").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    paths = {name: path.format(task=task, visit=visit) for name, path in PAGES.items()}
    paths |= {"record-" + form.removeprefix("/record/"): form for form in forms}
    assert len(forms) >= 20 and "/record/MeetingHeld" in forms
    found = []

    for name, path in paths.items():
        page.goto(site + path)
        found += serious_violations(page, name)
        shoot(page, name)
    # The forms as they answer: a fact refused beside its field, a fact's
    # preview, a correction refused for want of a reason, a change refused.
    page.goto(site + "/record/VisitHeld")
    page.fill("#f-partner", "MA")
    page.fill("#f-occurred_on", "2021-02-30")
    page.fill("#f-visitors", "Commissioner Johansson")
    page.locator("button", has_text="Preview").click()
    assert page.locator("#occurred_on-problem").is_visible()
    found += serious_violations(page, "record-refused")
    shoot(page, "record-refused")
    page.fill("#f-occurred_on", "2021-02-03")
    page.locator("button", has_text="Preview").click()
    found += serious_violations(page, "record-preview")
    shoot(page, "record-preview")
    page.goto(site + visit + "/correct")
    page.fill("#f-place", "Tunis")
    page.locator("button", has_text="Record the correction").click()
    assert page.locator("#reason-problem").is_visible()
    found += serious_violations(page, "correct-refused")
    shoot(page, "correct-refused")
    page.goto(site + task)
    page.fill("input[name=owner]", "x" * 300)
    page.locator("button", has_text="Assign").click()
    assert page.locator(".error").is_visible()
    found += serious_violations(page, "task-refused")
    shoot(page, "task-refused")

    assert found == [], "\n".join(found)
    context.close()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_desk_officer_records_a_visit_and_a_commitment_corrects_the_amount_and_retracts_the_visit(
    site: str, browser: object
) -> None:
    tab = Tab(browser)
    sign_in(tab.page, site)
    tab.page.locator("header.site nav a", has_text="Record").click()
    tab.page.locator("a", has_text="VisitHeld").click()
    tab.page.fill("#f-partner", "MA")
    tab.page.fill("#f-occurred_on", "2021-06-32")  # no such day: said beside the field
    tab.page.fill("#f-visitors", "Commissioner Johansson\nCommissioner Várhelyi")
    tab.page.fill("#f-met-add", "Minister of the Interior")  # a name typed, or picked from those recorded
    tab.page.locator("#f-met-add").press("Enter")
    assert tab.page.locator("#f-met").input_value() == "Minister of the Interior"
    tab.page.fill("#f-topics", "smuggling networks")
    tab.page.fill("#f-place", "Tangier Med")
    tab.page.locator("button", has_text="Preview").click()
    assert "not a calendar date" in tab.page.locator("#occurred_on-problem").inner_text()
    assert tab.page.locator("#f-occurred_on").get_attribute("aria-invalid") == "true"
    shoot(tab.page, "record-visit-refused")

    tab.page.fill("#f-occurred_on", "2021-06-02")
    tab.page.locator("button", has_text="Preview").click()
    assert "It records: " in tab.page.locator("#preview + p").inner_text()
    shoot(tab.page, "record-visit-preview")
    tab.page.locator("button", has_text="Record it").click()
    assert tab.page.locator(".banner").first.inner_text().startswith("Recorded: ")
    visit = tab.page.url
    tab.page.fill("header.site input[name=q]", "tangier")  # the search box on every page
    tab.page.locator("header.site form.search button").click()
    assert tab.page.locator("main [role=status]").inner_text().startswith("1 result for")
    shoot(tab.page, "search-finds-the-visit")
    tab.page.locator("ol.results a").first.click()
    assert tab.page.url == visit

    tab.page.goto(site + "/record/FundingCommitted")
    for field, value in {"partner": "TN", "funding": "tn-browser", "instrument": "NDICI-Global Europe",
                         "occurred_on": "2021-06-20", "amount": "EUR 5000000"}.items():  # fmt: skip
        tab.page.fill(f"#f-{field}", value)
    tab.page.locator("button", has_text="Preview").click()
    assert "would open 1 task" in tab.page.locator("#preview").locator("..").inner_text()
    tab.page.locator("button", has_text="Record it").click()
    commitment = tab.page.url
    tab.page.goto(site + "/tasks?partner=TN")
    assert "tn-browser" in tab.page.locator("main").inner_text()  # the task it opened

    tab.page.goto(commitment)
    tab.page.locator("a", has_text="Correct it").click()
    assert tab.page.locator("#f-amount").input_value().startswith("EUR 5000000")
    shoot(tab.page, "correct-commitment")
    tab.page.fill("#f-amount", "EUR 4000000")
    tab.page.locator("button", has_text="Record the correction").click()  # no reason yet
    assert tab.page.locator("#reason-problem").is_visible()
    tab.page.fill("#f-reason", "the signed decision says 4 million")
    tab.page.locator("button", has_text="Record the correction").click()
    assert tab.page.locator(".banner").first.inner_text().startswith("Corrected: ")
    tab.page.goto(site + "/funding")
    assert "4,000,000" in tab.page.locator("main").inner_text()

    tab.page.goto(visit)
    tab.page.locator("a", has_text="Retract it").click()
    tab.page.fill("#f-reason", "entered twice")
    tab.page.locator("button", has_text="Retract it").click()
    tab.page.goto(visit)
    assert "This fact was retracted" in tab.page.locator("main").inner_text()
    tab.page.goto(site + "/search?q=tangier")
    assert tab.page.locator("main [role=status]").inner_text().startswith("Nothing found for")
    # The two refused forms answered 400, as they should; nothing else went wrong.
    assert [error for error in tab.errors if "status of 400" not in error] == [] and tab.dialogs == []


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_signing_out_in_one_tab_ends_the_session_in_every_tab_and_for_any_copy_of_the_cookie(
    site: str, browser: object
) -> None:
    context = browser.new_context()  # type: ignore[attr-defined]
    this, other = Tab(context), Tab(context)  # two tabs of one browser: one cookie
    sign_in(this.page, site)
    task = first_link(this.page, site, "/tasks")
    other.page.goto(site + task)
    elsewhere = browser.new_context()  # type: ignore[attr-defined]
    elsewhere.add_cookies(context.cookies())  # the cookie as copied before signing out
    copy = Tab(elsewhere)
    copy.page.goto(site + task)
    assert "Signed in as alice" in other.page.locator("header.site .who").inner_text()
    assert "Signed in as alice" in copy.page.locator("header.site .who").inner_text()

    this.page.locator("button", has_text="Sign out").click()
    other.page.fill("input[name=owner]", "desk:signed-out")
    other.page.locator("button", has_text="Assign").click()
    copy.page.fill("input[name=owner]", "desk:signed-out")
    copy.page.locator("button", has_text="Assign").click()

    # The other tab's form no longer carries its session's token: sent to sign in, told why.
    assert other.page.url == f"{site}/login?next={task}"
    assert "You are signed out (in another tab" in other.page.locator(".banner").inner_text()
    assert other.page.locator("header.site .who").inner_text().strip() == "Sign in"
    # The copy's token still matches its cookie, whose session has ended: sent to sign in.
    assert copy.page.url == f"{site}/login?next={task}"
    assert copy.page.locator("header.site .who").inner_text().strip() == "Sign in"
    other.page.goto(site + task)
    assert "Sign in to change it" in other.page.locator("main").inner_text()
    assert "desk:signed-out" not in other.page.locator("main").inner_text()  # nothing was recorded
    assert other.errors == [] and copy.errors == []
    elsewhere.close()
    context.close()


@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_removed_users_cookie_is_refused_on_its_next_change_and_shows_them_signed_out(
    site: str, users: dict[str, str], browser: object
) -> None:
    bob = "bob has a long password too"
    subprocess.run([ACCORD, "users", "add", "bob", "--password-stdin"], input=bob, text=True, env=users, check=True)
    tab = Tab(browser)
    sign_in(tab.page, site, "bob", bob)
    task = first_link(tab.page, site, "/tasks")
    tab.page.goto(site + task)
    assert "Signed in as bob" in tab.page.locator("header.site .who").inner_text()

    subprocess.run([ACCORD, "users", "remove", "bob"], env=users, check=True, capture_output=True)
    tab.page.fill("input[name=owner]", "desk:signed-out")
    tab.page.locator("button", has_text="Assign").click()

    assert tab.page.url == f"{site}/login?next={task}"
    tab.page.goto(site + task)
    assert tab.page.locator("header.site .who").inner_text().strip() == "Sign in"
    assert "desk:signed-out" not in tab.page.locator("main").inner_text()  # nothing was recorded
    sign_in(tab.page, site, "bob", bob)
    assert tab.page.locator(".error").inner_text() == "that name and password do not match a user"
    assert [error for error in tab.errors if "status of 401" not in error] == []


FOUR_EYES = """\
[roles]
finance = ["alice"]
head-of-unit = ["bob"]

[approval.FundingCommitted]
role = "head-of-unit"
"""


@pytest.fixture
def four_eyes_site(demo_db: str, tmp_path: Path, users: dict[str, str]) -> Iterator[str]:
    """The console over the demo where a commitment needs the approval of
    head-of-unit, which bob holds (alice is in finance); both may sign in."""
    (tmp_path / "policy.toml").write_text(FOUR_EYES)
    subprocess.run([ACCORD, "users", "add", "bob", "--password-stdin"], input=BOB, text=True, env=users, check=True)
    yield from serving(demo_db, tmp_path, users)


BOB = "bob has a long password too"


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: scripts/_setup installs it with npm")
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_a_commitment_alice_proposes_counts_once_bob_approves_it_in_the_console(
    four_eyes_site: str, browser: object
) -> None:
    site = four_eyes_site
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]  # to let axe in
    alice = context.new_page()
    sign_in(alice, site)
    alice.goto(site + "/record/FundingCommitted")
    for field, value in {"partner": "TN", "funding": "tn-four-eyes", "instrument": "NDICI-Global Europe",
                         "occurred_on": "2021-06-20", "amount": "EUR 3000000"}.items():  # fmt: skip
        alice.fill(f"#f-{field}", value)
    alice.locator("button", has_text="Preview").click()
    alice.locator("button", has_text="Record it").click()
    assert alice.locator(".banner").first.inner_text().startswith("Proposed, awaiting approval by head-of-unit")
    alice.goto(site + "/funding")
    assert "tn-four-eyes" not in alice.locator("main").inner_text()  # a proposal counts nowhere
    alice.locator("header.site nav a", has_text="Approvals").click()
    assert "alice proposed this FundingCommitted" in alice.locator("main").inner_text()
    assert alice.locator("main button", has_text="Approve").count() == 0
    alice.locator("header.site button", has_text="Sign out").click()

    bob = context.new_page()
    sign_in(bob, site, "bob", BOB)
    bob.goto(site + "/approvals")
    waiting = bob.locator("article.proposal").first
    assert "Proposed by alice" in waiting.inner_text()
    assert "Waits for head-of-unit: 0 of 1 approval." in waiting.inner_text()
    assert bob.locator("article.proposal tbody tr").nth(1).inner_text().split() == [
        *("Once", "approved", "EUR", "3,000,000", "EUR", "0", "EUR", "3,000,000")
    ]
    found = serious_violations(bob, "approvals-awaiting")
    shoot(bob, "approvals-awaiting")
    waiting.locator("button", has_text="Approve").click()

    assert bob.locator(".banner").first.inner_text().startswith("Approved and recorded as a fact: ")
    assert "Approved by bob on " in bob.locator("article.proposal").first.inner_text()
    found += serious_violations(bob, "approvals-decided")
    shoot(bob, "approvals-decided")
    bob.goto(site + "/funding")
    assert "tn-four-eyes" in bob.locator("main").inner_text()
    assert found == [], "\n".join(found)
    context.close()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed: scripts/_setup installs it with npm")
@pytest.mark.parametrize("db", ["sqlite"], indirect=True)
def test_bob_grants_alice_a_delegation_from_the_approvals_page_and_sees_it_in_force(
    four_eyes_site: str, browser: object
) -> None:
    site = four_eyes_site
    context = browser.new_context(bypass_csp=True)  # type: ignore[attr-defined]  # to let axe in
    bob = context.new_page()
    sign_in(bob, site, "bob", BOB)
    bob.goto(site + "/approvals")
    bob.locator("main a", has_text="Delegations").click()
    assert bob.url == site + "/delegations"
    bob.select_option("#f-delegate", "alice")
    bob.select_option("#f-role", "head-of-unit")
    bob.locator("button", has_text="Grant").click()
    # No last day: refused beside its field, what was chosen kept.
    assert bob.locator("#ends_on-problem").inner_text() == (
        "name the last day the delegate may act (YYYY-MM-DD); nothing was stored"
    )
    assert bob.locator("#f-delegate").input_value() == "alice"
    found = serious_violations(bob, "delegations-refused")
    shoot(bob, "delegations-refused")
    bob.fill("#f-ends_on", "2099-12-31")
    bob.locator("button", has_text="Grant").click()

    assert bob.locator(".banner").first.inner_text().startswith("Granted: alice may act for bob as head-of-unit from ")
    row = bob.locator("main table tbody tr").first
    assert [cell.inner_text() for cell in row.locator("td").all()[:5]][::4] == ["alice", "in force"]
    assert row.locator("button", has_text="Revoke alice's head-of-unit").is_visible()
    found += serious_violations(bob, "delegations-granted")
    shoot(bob, "delegations-granted")
    assert found == [], "\n".join(found)
    context.close()
