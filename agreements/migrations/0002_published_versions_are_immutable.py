"""Published versions refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the
database itself. The SQL is written out here: later code cannot change this history."""

from django.db import migrations

MESSAGE = "published versions cannot be changed or deleted"
SQL = {
    "sqlite": [
        "CREATE TRIGGER agreements_version_published_no_update BEFORE UPDATE ON agreements_version "
        f"FOR EACH ROW WHEN OLD.number IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
        "CREATE TRIGGER agreements_version_published_no_delete BEFORE DELETE ON agreements_version "
        f"FOR EACH ROW WHEN OLD.number IS NOT NULL BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION agreements_version_published_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF OLD.number IS NOT NULL THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;""",
        "CREATE TRIGGER agreements_version_published_no_change BEFORE UPDATE OR DELETE ON agreements_version "
        "FOR EACH ROW EXECUTE FUNCTION agreements_version_published_refuse();",
        "CREATE TRIGGER agreements_version_published_no_truncate BEFORE TRUNCATE ON agreements_version "
        "FOR EACH STATEMENT EXECUTE FUNCTION agreements_version_published_refuse();",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS agreements_version_published_no_update;",
        "DROP TRIGGER IF EXISTS agreements_version_published_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS agreements_version_published_no_change ON agreements_version;",
        "DROP TRIGGER IF EXISTS agreements_version_published_no_truncate ON agreements_version;",
        "DROP FUNCTION IF EXISTS agreements_version_published_refuse();",
    ],
}


def create(apps, schema_editor):
    for sql in SQL[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
