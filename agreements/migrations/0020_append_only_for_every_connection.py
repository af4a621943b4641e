"""Append-only whatever the connection: on SQLite, INSERT OR REPLACE (and REPLACE INTO)
deletes the row it replaces without firing the delete triggers unless the connection
set PRAGMA recursive_triggers, which the site's connections do and the sqlite3 shell, a
backup script or a database browser do not. A BEFORE INSERT trigger on each
append-only table refuses an insert that meets a row it would replace (same primary
key, or same unique key), so no pragma matters. The tables that had no UPDATE and
DELETE triggers yet (stored tree nodes, content loads, chain verifications) get them
on both databases; on PostgreSQL, INSERT ... ON CONFLICT DO UPDATE fires the UPDATE
triggers, so it is refused there too.

The SQL is written out here: later code cannot change this history.
"""

from django.db import migrations

# table: (message, the condition under which an inserted row would replace a kept one)
REPLACING = {
    "agreements_version": (
        "published versions cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_version kept WHERE kept.number IS NOT NULL AND "
        "(kept.id = NEW.id OR (kept.document_id = NEW.document_id AND "
        "kept.language = NEW.language AND kept.number = NEW.number)))",
    ),
    "agreements_acceptanceevent": (
        "acceptance events cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_acceptanceevent kept WHERE kept.id = NEW.id OR "
        "kept.position = NEW.position OR kept.previous_hash = NEW.previous_hash OR "
        "kept.hash = NEW.hash)",
    ),
    "agreements_checkpoint": (
        "checkpoints cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_checkpoint kept WHERE kept.id = NEW.id OR "
        "kept.tree_size = NEW.tree_size)",
    ),
    # The same node again (the signer extending the tree twice) is no change: ignored by
    # ON CONFLICT DO NOTHING as before. Another hash at its place is refused.
    "agreements_merklenode": (
        "Merkle tree nodes cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_merklenode kept WHERE kept.id = NEW.id OR "
        '(kept.level = NEW.level AND kept."index" = NEW."index" AND kept.hash != NEW.hash))',
    ),
    "agreements_cancellation": (
        "cancellations cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_cancellation kept WHERE kept.id = NEW.id OR "
        "kept.version_id = NEW.version_id)",
    ),
    "agreements_contentload": (
        "content loads cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_contentload kept WHERE kept.id = NEW.id OR "
        "kept.version_id = NEW.version_id)",
    ),
    "agreements_chainverification": (
        "chain verifications cannot be changed or deleted",
        "EXISTS (SELECT 1 FROM agreements_chainverification kept WHERE kept.id = NEW.id)",
    ),
}
NEWLY_APPEND_ONLY = [
    "agreements_merklenode", "agreements_contentload", "agreements_chainverification"
]  # fmt: skip


def sqlite_sql():
    create, drop = [], []
    for table, (message, replacing) in REPLACING.items():
        create.append(
            f"CREATE TRIGGER {table}_no_replace BEFORE INSERT ON {table} FOR EACH ROW "
            f"WHEN {replacing} BEGIN SELECT RAISE(ABORT, '{message}'); END;"
        )
        drop.append(f"DROP TRIGGER IF EXISTS {table}_no_replace;")
    for table in NEWLY_APPEND_ONLY:
        message = REPLACING[table][0]
        for operation in ("update", "delete"):
            create.append(
                f"CREATE TRIGGER {table}_no_{operation} BEFORE {operation.upper()} ON {table} "
                f"FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{message}'); END;"
            )
            drop.append(f"DROP TRIGGER IF EXISTS {table}_no_{operation};")
    return create, drop


def postgresql_sql():
    create, drop = [], []
    for table in NEWLY_APPEND_ONLY:
        message = REPLACING[table][0]
        create += [
            f"""CREATE OR REPLACE FUNCTION {table}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
END $$;""",
            f"CREATE TRIGGER {table}_no_change BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION {table}_refuse();",
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {table}_refuse();",
        ]
        drop += [
            f"DROP TRIGGER IF EXISTS {table}_no_change ON {table};",
            f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table};",
            f"DROP FUNCTION IF EXISTS {table}_refuse();",
        ]
    return create, drop


SQL = {"sqlite": sqlite_sql()[0], "postgresql": postgresql_sql()[0]}
DROP = {"sqlite": sqlite_sql()[1], "postgresql": postgresql_sql()[1]}


def create(apps, schema_editor):
    for sql in SQL[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0019_outbox_attempts_and_withdrawal_language")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
