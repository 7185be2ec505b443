"""A store named in libpq's keyword form (as psql takes it) is the store its
URL names: recorded on, read, and shown without its password."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from tests.helpers import accord, as_json
from workflows.cli import main

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("db", ["postgres"], indirect=True)
def test_a_store_named_by_keywords_is_the_store_its_url_names(db: str, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = urlsplit(db)
    keywords = (
        f"host={parts.hostname} port={parts.port} dbname={parts.path.lstrip('/')} user={parts.username} "
        "target_session_attrs=read-write"
    )
    monkeypatch.setenv("ACCORD_DB", keywords)
    runner = CliRunner()

    demo = runner.invoke(main, ["--actor", "tester", "demo"], catch_exceptions=False)
    shown = as_json(runner.invoke(main, ["config", "--json"], catch_exceptions=False))

    assert demo.exit_code == 0, demo.output
    assert {row["code"] for row in as_json(accord(db, "partners", "--json"))} >= {"TN", "MA", "TR"}
    [setting] = [row for row in shown if row["setting"] == "db"]
    assert setting["value"] == f"postgresql://{parts.username}@{parts.hostname}:{parts.port}{parts.path}"
