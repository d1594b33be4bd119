"""Migrations (up, down, up again), vocabulary seeding, settings."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

from api.database import downgrade, make_engine, session_factory, upgrade
from api.settings import Settings
from parts import vocabulary
from parts.models import CausePartType, Part, PartType
from parts.search import search_text
from tests.databases import fresh_database


def test_vocabulary_is_seeded_on_both_databases(session) -> None:
    codes = set(session.scalars(select(PartType.code)))
    assert codes >= set(vocabulary.PART_TYPES)
    causes = set(session.scalars(select(CausePartType.cause_id)))
    assert causes == set(vocabulary.CAUSE_IDS)


def test_upgrade_is_idempotent_and_downgrade_drops_everything(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'm.sqlite3'}")
    upgrade(engine)
    upgrade(engine)
    assert "parts_fitment" in inspect(engine).get_table_names()
    downgrade(engine)
    assert not [t for t in inspect(engine).get_table_names() if t.startswith("parts_")]
    upgrade(engine)
    with session_factory(engine)() as s:
        assert s.scalar(select(PartType.label).where(PartType.code == "thermostat")) == "Thermostat"
    engine.dispose()


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_migration_0002_stores_search_text_as_words(kind: str, tmp_path: Path) -> None:
    """A catalogue made at revision 0001 (text as written) is rewritten into words, stays
    searchable, and stays searchable after a downgrade."""
    with fresh_database(kind, tmp_path) as url:
        engine = make_engine(url)
        upgrade(engine, "0001_parts")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO parts_part (id, brand, brand_norm, article_number, "
                    "number_norm, part_type_code, name, attributes, search_text) VALUES "
                    "(1, 'Bosch', 'BOSCH', '0 280 218 119', '0280218119', 'maf_sensor', "
                    "'Air mass meter (hot-film)', '{}', 'bosch 0 280 218 119 0280218119 "
                    "air mass meter (hot-film) mass air flow (maf) sensor')"
                )
            )
        upgrade(engine)
        stored = "bosch 0 280 218 119 0280218119 air mass meter hot film flow maf sensor"
        _assert_found_by_words(engine, stored)
        assert "ix_parts_part_part_type_code" not in _index_names(engine)
        downgrade(engine, "0001_parts")
        _assert_found_by_words(engine, stored)
        assert "ix_parts_part_part_type_code" in _index_names(engine)
        # and PostgreSQL has its foreign keys back in place of migration 0003's triggers
        assert len(inspect(engine).get_foreign_keys("parts_fitment")) == 2
        engine.dispose()


def _assert_found_by_words(engine, stored: str) -> None:
    with session_factory(engine)() as s:
        assert s.scalar(select(Part.search_text)) == stored
        for query in ("hot film", "FILM", "0280218119", "maf sens"):
            assert [h.article_number for h in search_text(s, query).items] == ["0 280 218 119"]
        assert search_text(s, "hotfilm").total == 0
    if engine.dialect.name == "sqlite":  # the FTS5 index agrees with the table
        with engine.begin() as conn:
            conn.execute(
                text("INSERT INTO parts_part_fts(parts_part_fts) VALUES ('integrity-check')")
            )


def _index_names(engine) -> set[str]:
    return {ix["name"] for ix in inspect(engine).get_indexes("parts_part")}


def test_settings_default_to_sqlite_in_the_data_dir(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("NOVAEVO_DATABASE_URL", raising=False)
    monkeypatch.setenv("NOVAEVO_DATA_DIR", str(tmp_path / "d"))
    url = Settings().resolved_database_url()
    assert url == f"sqlite:///{(tmp_path / 'd' / 'novaevo.sqlite3').resolve()}"
    assert (tmp_path / "d").is_dir()
    monkeypatch.setenv("NOVAEVO_DATABASE_URL", "postgresql+psycopg://u@h/db")
    assert Settings().resolved_database_url() == "postgresql+psycopg://u@h/db"


@pytest.mark.parametrize(
    "year,expected", [(None, ["conditional"]), (2013, ["conditional"]), (2018, [])]
)
def test_fitment_year_range(engine, tmp_path, session, year, expected) -> None:
    from parts.importers import import_csv
    from parts.search import search_by_vehicle
    from tests.parts import catalogue

    catalogue.load(engine, tmp_path)
    path = catalogue.write(
        tmp_path,
        "y.csv",
        "brand,article_number,ktype,year_from,year_to\nNGK,BKR7E,1002,2012,2014\n",
    )
    assert import_csv(engine, "fitments", path).rows_written == 1
    from parts.models import VehicleType

    vid = session.scalar(select(VehicleType.id).where(VehicleType.ktype == 1002))
    hits = search_by_vehicle(session, vid, "spark_plug", year=year).items
    seven = [h.certainty_label for h in hits if h.article_number == "BKR7E"]
    assert seven == expected
    if expected:
        assert "years 2012-2014" in [h for h in hits if h.article_number == "BKR7E"][0].reason


def test_migration_matches_the_models(session_engine) -> None:
    """Autogenerate finds nothing to do: models and revision(s) have not drifted apart."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from parts.models import Base

    with session_engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # The full-text index is dialect-specific DDL outside the models, by design.
    diff = [d for d in diff if "fts" not in str(d) and "search_tsv" not in str(d)]
    if session_engine.dialect.name == "postgresql":
        # Migrations 0003 and 0103: the bulk-filled tables' foreign keys are checked per
        # statement by triggers instead; each missing one must have its triggers.
        missing = {(d[1].table.name, d[1].column_keys[0]) for d in diff if d[0] == "add_fk"}
        assert len(missing) == 9 + 2
        with session_engine.connect() as conn:
            triggers = set(
                conn.scalars(
                    text(
                        "SELECT tgname FROM pg_trigger"
                        " WHERE tgrelid::regclass::text ~ '^(parts|api)_'"
                    )
                )
            )
        for table, column in missing:
            for event in ("insert", "update", "parent_delete"):
                assert f"{table}_{column}_{event}" in triggers
        diff = [d for d in diff if d[0] != "add_fk"]
    assert diff == []
