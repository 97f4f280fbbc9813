"""Migration tests: take the test database to a point in the migration graph and back."""

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate_to(targets: list[tuple[str, str]]):
    """Migrate the database to `targets` ([(app, migration name)]); returns the historical
    models' registry at that point (`apps.get_model(...)`)."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest() -> list[tuple[str, str]]:
    """Every app's newest migration: where a test leaves the database."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
