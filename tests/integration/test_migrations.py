"""The Alembic migrations build exactly the schema the models declare, on every backend."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from contest.models import Base


def test_models_and_migrations_agree(engine):
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    assert differences == []
