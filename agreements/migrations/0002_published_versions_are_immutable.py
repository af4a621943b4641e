from django.db import migrations

from agreements.triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("agreements", "0001_initial")]

    operations = [
        refuse_changes(
            "agreements_version_published",
            "agreements_version",
            condition="OLD.number IS NOT NULL",
            message="published versions cannot be changed or deleted",
        ),
    ]
