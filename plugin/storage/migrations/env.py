"""Alembic environment for the plugin's own tables.

Run through ``flask tsuide db upgrade``, which hands over a connection to the
shop's database. The plugin keeps its own version table and only ever
compares and creates ``tsuide_*`` tables.
"""
from alembic import context

from plugin.storage import Base  # importing the package registers every tsuide_* table

VERSION_TABLE = "tsuide_alembic_version"


def _ours(name, type_, parent_names):
    if type_ == "table":
        return name is not None and name.startswith("tsuide_")
    return True


connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    include_name=_ours,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
