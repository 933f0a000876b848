"""Apply the Alembic migrations programmatically (CLI, tests, the demo)."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection

from contest.config import PROJECT_DIR


def alembic_config() -> Config:
    config = Config(str(PROJECT_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_DIR / "migrations"))
    return config


def upgrade(database_url: str | None = None, connection: Connection | None = None) -> None:
    config = alembic_config()
    config.attributes["database_url"] = database_url
    config.attributes["connection"] = connection
    # "heads": feature migrations may branch from the same parent until a merge revision joins them.
    command.upgrade(config, "heads")
