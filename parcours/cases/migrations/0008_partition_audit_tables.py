"""CaseEvent and AccessLog partitioned by month on PostgreSQL (parcours/cases/partitions.py);
nothing changes on SQLite. At 1M people (29.5 M case events) the copy takes minutes: see
docs/deploy.md, "Upgrades"."""

from django.db import migrations


def partition(apps, schema_editor):
    from parcours.cases import partitions

    for table in partitions.TABLES:
        partitions.partition_table(table, connection=schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("cases", "0007_intensity_online")]

    operations = [migrations.RunPython(partition, migrations.RunPython.noop, elidable=False)]
