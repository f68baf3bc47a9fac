"""Seeds /help/ with the guide's content (ops/data/help/*.md); operators edit it from then on.

File names are ``<order>-<section>--<slug>.md``; the first line is ``# Title``."""

from pathlib import Path

from django.db import migrations

SEED = Path(__file__).resolve().parents[1] / "data" / "help"


def seed(apps, schema_editor):
    HelpPage = apps.get_model("ops", "HelpPage")
    for path in sorted(SEED.glob("*.md")):
        order, rest = path.stem.split("-", 1)
        section, slug = rest.split("--", 1)
        title, _, body = path.read_text(encoding="utf-8").partition("\n")
        HelpPage.objects.get_or_create(slug=slug, defaults={
            "section": section, "title": title.removeprefix("# ").strip(), "body": body.strip() + "\n",
            "sort_order": int(order)})


class Migration(migrations.Migration):
    dependencies = [("ops", "0002_audit_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
