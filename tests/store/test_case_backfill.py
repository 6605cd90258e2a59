"""Migration 0009 puts every existing instance into a case: one per office and business key."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text

from engine.store.migrate import upgrade

NOW = datetime(2026, 11, 30, 15, 0, tzinfo=UTC).replace(tzinfo=None)


def _instance(conn, instance_id: str, office: str, key: str, data: str) -> None:  # type: ignore[no-untyped-def]
    conn.execute(
        text(
            "INSERT INTO process_instance (id, definition_id, process_id, version, business_key,"
            " office, status, state, data_json, lock_version, started_by, created_at, updated_at)"
            " VALUES (:id, 1, 'intake', 1, :key, :office, 'waiting', x'00', :data, 1, 'ira',"
            " :now, :now)"
        ),
        {"id": instance_id, "key": key, "office": office, "data": data, "now": NOW},
    )


@pytest.fixture
def url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'old.sqlite3'}"


def test_existing_instances_are_grouped_into_cases(url):
    upgrade(url, "0008")
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO definition (id, process_id, version, name, sha256, spec_json,"
                " created_at, created_by) VALUES (1, 'intake', 1, 'Intake', 'x', '{}', :now, 'd')"
            ),
            {"now": NOW},
        )
        _instance(conn, "i1", "sudbury", "C-1", '{"applicant": {"name": "Marie-Ève"}}')
        _instance(conn, "i2", "sudbury", "C-1", '{"client_name": "Marie-Ève"}')
        _instance(conn, "i3", "ottawa", "C-1", "{}")
        _instance(conn, "i4", "sudbury", "schedule:review:sudbury", "{}")
        conn.execute(
            text(
                "INSERT INTO human_task (id, instance_id, process_id, business_key, office,"
                " task_name, title, queue, status, created_at) VALUES ('t1', 'i2', 'intake',"
                " 'C-1', 'sudbury', 'x', 'X', 'caseworker', 'open', :now)"
            ),
            {"now": NOW},
        )
    engine.dispose()

    upgrade(url)

    engine = create_engine(url)
    with engine.connect() as conn:
        cases = conn.execute(
            text("SELECT office, key, client_name, client_search, status FROM client_case")
        ).all()
        links = dict(conn.execute(text("SELECT id, case_id FROM process_instance")).all())
        task = conn.execute(text("SELECT case_key, client_name FROM human_task")).one()
    engine.dispose()
    assert sorted(cases) == [
        ("ottawa", "C-1", "", " | c 1", "open"),
        ("sudbury", "C-1", "Marie-Ève", "marie eve | c 1", "open"),
    ]
    assert links["i1"] == links["i2"] != links["i3"]
    assert links["i4"] is None  # a timer-started schedule serves no client
    assert tuple(task) == ("C-1", "Marie-Ève")
