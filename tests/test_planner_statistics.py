"""The query planner's statistics on SQLite: without them it answers an unselective device filter
through the wrong index (every matching row read and sorted); with them, the name index."""

from __future__ import annotations

import asyncio
from pathlib import Path

from sqlalchemy import insert, select, text

from eams.components.statistics import PlannerStatisticsComponent, planner_statistics_component
from eams.services import Services
from eams.settings import Settings
from inventory import migrate
from inventory.db import Database
from inventory.models import Device
from inventory.statistics import refresh_planner_statistics

DEVICES = 3000


def filled_sqlite(tmp_path: Path) -> Database:
    """Devices like a province's: almost all of one role, no warranty dates recorded yet."""
    database = Database(f"sqlite:///{tmp_path / 'planner.sqlite3'}")
    migrate.upgrade(database.engine)
    with database.engine.begin() as connection:
        connection.execute(
            insert(Device.__table__),
            [
                {"name": f"d{i:05}", "role": "switch" if i % 50 == 0 else "server", "status": "active"}
                for i in range(DEVICES)
            ],
        )
    return database


def plan(database: Database, statement: str) -> str:
    with database.engine.connect() as connection:
        rows = connection.execute(text(f"EXPLAIN QUERY PLAN {statement}")).all()
    return " | ".join(row[-1] for row in rows)


FIRST_PAGE = "SELECT * FROM device WHERE role = 'server' AND warranty_end IS NULL ORDER BY name LIMIT 50"
COUNT = "SELECT count(*) FROM device WHERE role = 'server' AND warranty_end IS NULL"


def test_with_statistics_the_first_page_of_an_unselective_filter_walks_the_name_index(tmp_path: Path) -> None:
    database = filled_sqlite(tmp_path)
    try:
        assert "TEMP B-TREE FOR ORDER BY" in plan(database, FIRST_PAGE)  # the planner's guess
        assert refresh_planner_statistics(database.engine) is True
        first_page = plan(database, FIRST_PAGE)
        assert "TEMP B-TREE" not in first_page and "sqlite_autoindex_device" in first_page
        assert "COVERING INDEX" in plan(database, COUNT)
    finally:
        database.dispose()


async def test_the_service_refreshes_them_when_it_starts(tmp_path: Path) -> None:
    database = filled_sqlite(tmp_path)
    services = Services.from_settings(Settings(data_dir=tmp_path / "var"), db=database)
    component = planner_statistics_component(services)
    assert isinstance(component, PlannerStatisticsComponent)

    try:
        await component.start()
        await asyncio.wait_for(component.first_refresh.wait(), 60)  # a ceiling, not a timing
        await component.stop()
        with database.engine.connect() as connection:
            analysed = connection.execute(text("SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'device'"))
            assert analysed.scalar_one() > 0
        with database.session() as session:  # the data is untouched
            assert len(session.scalars(select(Device.id)).all()) == DEVICES
    finally:
        database.dispose()
