"""SQL for the database triggers that make rows append-only, on SQLite and PostgreSQL.

Used by migrations: whatever path a change takes (admin, ORM, raw SQL), the
database itself refuses to update or delete a protected row.
"""

from django.db import migrations


def _sqlite(name, table, condition, message):
    when = f"WHEN {condition} " if condition else ""
    return [
        f"CREATE TRIGGER {name}_no_{op.lower()} BEFORE {op} ON {table} FOR EACH ROW {when}"
        f"BEGIN SELECT RAISE(ABORT, '{message}'); END;"
        for op in ("UPDATE", "DELETE")
    ]


def _postgresql(name, table, condition, message):
    check = f"IF {condition} THEN" if condition else "IF TRUE THEN"
    return [
        f"""CREATE OR REPLACE FUNCTION {name}_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'TRUNCATE' THEN
    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  {check}
    RAISE EXCEPTION '{message}' USING ERRCODE = 'integrity_constraint_violation';
  END IF;
  IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
  RETURN NEW;
END $$;""",
        f"CREATE TRIGGER {name}_no_change BEFORE UPDATE OR DELETE ON {table} "
        f"FOR EACH ROW EXECUTE FUNCTION {name}_refuse();",
        f"CREATE TRIGGER {name}_no_truncate BEFORE TRUNCATE ON {table} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {name}_refuse();",
    ]


def _drop(vendor, name, table):
    if vendor == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {name}_no_change ON {table};",
            f"DROP TRIGGER IF EXISTS {name}_no_truncate ON {table};",
            f"DROP FUNCTION IF EXISTS {name}_refuse();",
        ]
    return [f"DROP TRIGGER IF EXISTS {name}_no_{op};" for op in ("update", "delete")]


def create_statements(vendor, name, table, condition, message):
    builders = {"sqlite": _sqlite, "postgresql": _postgresql}
    if vendor not in builders:
        raise NotImplementedError(f"No immutability triggers for the {vendor} database.")
    return builders[vendor](name, table, condition, message)


def drop_statements(vendor, name, table):
    return _drop(vendor, name, table)


def refuse_changes(name, table, *, condition=None, message):
    """A migration operation creating (and, reversed, dropping) the triggers.

    condition: SQL on OLD that selects the protected rows; None protects every row.
    """

    def forward(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for sql in create_statements(vendor, name, table, condition, message):
            schema_editor.execute(sql)

    def backward(apps, schema_editor):
        for sql in drop_statements(schema_editor.connection.vendor, name, table):
            schema_editor.execute(sql)

    return migrations.RunPython(forward, backward, elidable=False)
