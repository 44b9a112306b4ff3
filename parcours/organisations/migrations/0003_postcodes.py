"""Several postcodes per commune: Territory.postcode moves to the Postcode table; the folded name
(case and accents ignored) is stored for indexed suggestions."""

import re
import unicodedata

import django.db.models.deletion
from django.db import migrations, models


def _fold(text: str) -> str:  # parcours.organisations.models.fold_name, frozen here
    text = unicodedata.normalize("NFKD", text.casefold()).replace("œ", "oe").replace("æ", "ae")
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[-'’]", " ", text).split())


def move_postcodes(apps, schema_editor):
    Territory = apps.get_model("organisations", "Territory")
    Postcode = apps.get_model("organisations", "Postcode")
    rows = []
    for territory in Territory.objects.only("pk", "name", "postcode", "level").iterator(chunk_size=2000):
        territory.folded_name = _fold(territory.name)
        territory.save(update_fields=["folded_name"])
        if territory.level == "commune" and territory.postcode.strip():
            rows.append(Postcode(code=territory.postcode.strip(), commune_id=territory.pk))
    Postcode.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


def restore_postcodes(apps, schema_editor):
    Territory = apps.get_model("organisations", "Territory")
    Postcode = apps.get_model("organisations", "Postcode")
    for postcode in Postcode.objects.order_by("-code"):  # the smallest one is written last
        Territory.objects.filter(pk=postcode.commune_id).update(postcode=postcode.code)


class Migration(migrations.Migration):
    dependencies = [
        ("organisations", "0002_mfa_required"),
    ]

    operations = [
        migrations.AddField(
            model_name="territory",
            name="folded_name",
            field=models.CharField(blank=True, db_index=True, editable=False, max_length=200),
        ),
        migrations.CreateModel(
            name="Postcode",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.CharField(db_index=True, max_length=5, verbose_name="code postal")),
                (
                    "commune",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="postcodes",
                        to="organisations.territory",
                        verbose_name="commune",
                    ),
                ),
            ],
            options={
                "verbose_name": "code postal",
                "verbose_name_plural": "codes postaux",
                "ordering": ["code", "commune"],
                "constraints": [
                    models.UniqueConstraint(fields=("code", "commune"), name="postcode_unique_per_commune")
                ],
            },
        ),
        migrations.RunPython(move_postcodes, restore_postcodes),
        migrations.RemoveField(model_name="territory", name="postcode"),
    ]
