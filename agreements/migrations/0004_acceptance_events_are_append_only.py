from django.db import migrations

from agreements.triggers import refuse_changes


class Migration(migrations.Migration):
    dependencies = [("agreements", "0003_submissions_and_evidence")]

    operations = [
        refuse_changes(
            "agreements_acceptanceevent_append_only",
            "agreements_acceptanceevent",
            message="acceptance events cannot be changed or deleted",
        ),
    ]
