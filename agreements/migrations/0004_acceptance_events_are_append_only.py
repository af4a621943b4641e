"""Acceptance events refuse UPDATE and DELETE (and TRUNCATE on PostgreSQL) in the
database itself. The SQL is written out here: later code cannot change this history."""

from django.db import migrations

MESSAGE = "acceptance events cannot be changed or deleted"
SQL = {
    "sqlite": [
        "CREATE TRIGGER agreements_acceptanceevent_append_only_no_update BEFORE UPDATE ON agreements_acceptanceevent "
        f"FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
        "CREATE TRIGGER agreements_acceptanceevent_append_only_no_delete BEFORE DELETE ON agreements_acceptanceevent "
        f"FOR EACH ROW BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    ],
    "postgresql": [
        f"""CREATE OR REPLACE FUNCTION agreements_acceptanceevent_append_only_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TRUE THEN
    RAISE EXCEPTION '{MESSAGE}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;""",
        "CREATE TRIGGER agreements_acceptanceevent_append_only_no_change BEFORE UPDATE OR DELETE ON agreements_acceptanceevent "
        "FOR EACH ROW EXECUTE FUNCTION agreements_acceptanceevent_append_only_refuse();",
        "CREATE TRIGGER agreements_acceptanceevent_append_only_no_truncate BEFORE TRUNCATE ON agreements_acceptanceevent "
        "FOR EACH STATEMENT EXECUTE FUNCTION agreements_acceptanceevent_append_only_refuse();",
    ],
}
DROP = {
    "sqlite": [
        "DROP TRIGGER IF EXISTS agreements_acceptanceevent_append_only_no_update;",
        "DROP TRIGGER IF EXISTS agreements_acceptanceevent_append_only_no_delete;",
    ],
    "postgresql": [
        "DROP TRIGGER IF EXISTS agreements_acceptanceevent_append_only_no_change ON agreements_acceptanceevent;",
        "DROP TRIGGER IF EXISTS agreements_acceptanceevent_append_only_no_truncate ON agreements_acceptanceevent;",
        "DROP FUNCTION IF EXISTS agreements_acceptanceevent_append_only_refuse();",
    ],
}


def create(apps, schema_editor):
    for sql in SQL[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


def drop(apps, schema_editor):
    for sql in DROP[schema_editor.connection.vendor]:
        schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_submissions_and_evidence")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
