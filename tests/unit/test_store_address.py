"""A PostgreSQL store's address, with one host or a primary and its standbys
(libpq's multi-host form): what libpq is given and what a person is shown."""

from __future__ import annotations

import re

import pytest

from tests.helpers import settings_from
from workflows.store.address import AddressError, parse
from workflows.store.persistence import StoreAddressError, describe_store, library_settings
from workflows.store.retry import address

TWO = "postgresql://accord:s%40cret@db1:5432,db2:5433/team?target_session_attrs=read-write"


def test_a_url_with_two_hosts_gives_libpq_both_in_order_with_their_ports() -> None:
    settings = library_settings(TWO, create_tables=False)

    assert (settings["POSTGRES_HOST"], settings["POSTGRES_PORT"]) == ("db1,db2", "5432,5433")
    assert (settings["POSTGRES_USER"], settings["POSTGRES_PASSWORD"]) == ("accord", "s@cret")
    assert settings["POSTGRES_DBNAME"] == "team"
    assert settings["POSTGRES_TARGET_SESSION_ATTRS"] == "read-write"


def test_several_hosts_without_target_session_attrs_keep_the_one_that_takes_writes() -> None:
    assert parse("postgresql://u@a:1,b:2/db").target_session_attrs == "read-write"
    assert parse("postgresql://u@a:1,b:2/db?target_session_attrs=any").target_session_attrs == "any"


def test_one_host_is_given_to_libpq_as_before_without_a_session_attribute() -> None:
    settings = library_settings("postgresql://u:pw@db.example:6000/accord?schema=team", create_tables=False)

    assert (settings["POSTGRES_HOST"], settings["POSTGRES_PORT"]) == ("db.example", "6000")
    assert settings["POSTGRES_SCHEMA"] == "team"
    assert "POSTGRES_TARGET_SESSION_ATTRS" not in settings


def test_a_host_without_a_port_gets_5432_and_no_host_means_localhost() -> None:
    assert parse("postgresql://u@a,b:6000/db").hosts == (("a", 5432), ("b", 6000))
    assert parse("postgresql:///db").hosts == (("localhost", 5432),)


def test_ipv6_hosts_are_read_in_brackets_and_shown_in_brackets() -> None:
    found = parse("postgresql://u@[::1]:5433,[fe80::2]/db")

    assert found.hosts == (("::1", 5433), ("fe80::2", 5432))
    assert found.shown() == "postgresql://u@[::1]:5433,[fe80::2]:5432/db"


def test_a_multi_host_address_is_shown_with_every_host_and_no_password() -> None:
    assert describe_store(TWO) == "postgresql://accord@db1:5432,db2:5433/team"


def test_the_address_in_a_warning_names_every_host_with_its_port() -> None:
    assert address(library_settings(TWO, create_tables=False)) == "postgresql://accord@db1:5432,db2:5433/team"


def test_a_connection_of_accords_own_gets_the_hosts_and_the_session_attribute() -> None:
    assert parse(TWO).connection("3") == {
        "dbname": "team",
        "host": "db1,db2",
        "port": "5432,5433",
        "user": "accord",
        "password": "s@cret",
        "target_session_attrs": "read-write",
        "connect_timeout": "3",
    }


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://u@a:1,b:x/db", "'x' is not a port number (in 'b:x')"),
        ("postgresql://u@a:1,b:2/db?target_session_attrs=writable", "target_session_attrs must be one of"),
    ],
)
def test_a_bad_port_or_session_attribute_is_named(url: str, said: str) -> None:
    with pytest.raises(AddressError, match=re.escape(said)):
        parse(url)
    with pytest.raises(StoreAddressError, match=r"^ACCORD_DB 'postgresql://"):
        library_settings(url, create_tables=False)


def test_a_read_db_that_is_not_a_postgresql_url_is_refused_naming_it() -> None:
    from workflows.config.settings import Settings

    with pytest.raises(ValueError, match=r"^ACCORD_READ_DB must be the postgresql:// URL of a hot standby"):
        settings_from(Settings, {"ACCORD_READ_DB": "copy.db"})
    assert settings_from(Settings, {"ACCORD_READ_DB": TWO}).read_db == TWO


@pytest.mark.parametrize(
    ("given", "url"),
    [
        (
            "host=db1,db2 port=5432,5433 dbname=accord user=accord target_session_attrs=read-write",
            "postgresql://accord@db1:5432,db2:5433/accord?target_session_attrs=read-write",
        ),
        ("host=db1,db2 port=6432 dbname=accord", "postgresql://postgres@db1:6432,db2:6432/accord"),
        (
            "host=127.0.0.1 dbname=accord user=a password='s3 cr\\'et'",
            "postgresql://a:s3%20cr%27et@127.0.0.1:5432/accord",
        ),
        ("accord.db", None),
        ("stores/name=x.db", None),
        ("postgresql://accord@db/accord", None),
    ],
)
def test_libpq_keyword_form_is_read_as_the_url_accord_reads(given: str, url: str | None) -> None:
    from workflows.config.settings import keywords_to_url

    assert keywords_to_url(given) == url


def test_a_keyword_address_that_cannot_be_read_is_one_sentence() -> None:
    from workflows.config.settings import keywords_to_url

    with pytest.raises(ValueError, match="2 host\\(s\\) but 3 port\\(s\\)"):
        keywords_to_url("host=a,b port=1,2,3 dbname=accord")
    with pytest.raises(ValueError, match="cannot read \"'s'\" as keyword=value"):
        keywords_to_url("host=::1 dbname=accord password='it''s'")
