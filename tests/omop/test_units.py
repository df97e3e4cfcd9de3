"""Pure functions of the OMOP layer: URL masking, DDL splitting, the ledger's text hash."""

from __future__ import annotations

import pytest

from omop_nlp.omop.connection import DatabaseError, check_schema_name, mask_text, mask_url, parse_url
from omop_nlp.omop.ddl import CDM_FILES, dialect_dir, render, statements
from omop_nlp.omop.ledger import LedgerState, text_hash


def test_urls_are_normalized_to_psycopg3_and_masked() -> None:
    url = parse_url("postgresql://alice:s3cr3t@db.example.org:5432/cdm")
    assert url.drivername == "postgresql+psycopg"
    assert "s3cr3t" not in mask_url(url) and "alice:***@db.example.org" in mask_url(url)
    assert parse_url("postgres://a@h/d").drivername == "postgresql+psycopg"
    assert parse_url("cdm.db").drivername == "sqlite"


@pytest.mark.parametrize(
    ("raw", "message"),
    [("mysql://u:topsecret@h/d", "unsupported database 'mysql'"), ("not a url", "not a database URL")],
)
def test_bad_urls_fail_in_one_masked_line(raw: str, message: str) -> None:
    with pytest.raises(DatabaseError) as info:
        parse_url(raw)
    assert message in str(info.value)
    assert "topsecret" not in str(info.value) and "\n" not in str(info.value)


def test_mask_text_hides_passwords_in_driver_messages() -> None:
    masked = mask_text("failed for postgresql://bob:hunter2@host/db password=hunter2 x")
    assert "hunter2" not in masked and "bob:***@host" in masked


def test_schema_names_are_checked() -> None:
    assert check_schema_name("cdm_54", "postgresql") == "cdm_54"
    assert check_schema_name("", "postgresql") is None
    assert check_schema_name("main", "sqlite") is None
    with pytest.raises(DatabaseError, match="not a valid schema name"):
        check_schema_name('cdm"; drop table note; --', "postgresql")
    with pytest.raises(DatabaseError, match="no schemas"):
        check_schema_name("cdm", "sqlite")


def test_ddl_is_split_into_statements_and_schema_placeholders_rendered() -> None:
    sql = (dialect_dir("postgresql") / CDM_FILES[0]).read_text()
    rendered = render(sql, lambda s: f'"{s}"', "cdm", None)
    stmts = statements(rendered)
    assert len(stmts) == sql.count(";")
    assert all(not s.startswith("--") for s in stmts)
    assert 'CREATE TABLE IF NOT EXISTS "cdm".note (' in rendered
    assert "@cdm_schema" not in render(sql, lambda s: s, None, None)


def test_text_hash_is_the_same_for_str_and_its_utf8_bytes() -> None:
    assert text_hash("결절 nodule") == text_hash("결절 nodule".encode())
    assert text_hash(None) == "null" != text_hash("")
    assert LedgerState(text_hash("a"), "done").is_final_for(text_hash("a"))
    assert not LedgerState(text_hash("a"), "failed").is_final_for(text_hash("a"))


def test_passwords_are_masked_in_every_url_shape() -> None:
    assert mask_url("postgresql://bob:s3cret@h/cdm?password=zzz&sslmode=require") == (
        "postgresql://bob:***@h/cdm?password=***&sslmode=require"
    )
    assert mask_text("not a database URL: bob:s3cret@h") == "not a database URL: bob:***@h"
    assert mask_text("https://bob:FhirPw1@fhir.example/R4") == "https://bob:***@fhir.example/R4"
    assert mask_text("dbname=cdm password='a b' host=h") == "dbname=cdm password=*** host=h"
