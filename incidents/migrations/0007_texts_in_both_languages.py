"""Each reader-facing text gets a column per language (incidents/translation.py); the existing text moves into
the column of the language it was written in: a case's own `language`, its case's for a timeline event, a cost
line, an image or a correction, English for companies and sectors. Their history rows move the same way."""

from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery

TEXTS = {
    "incident": [
        "title",
        "summary",
        "story",
        "story_html",
        "lesson",
        "apology_text",
        "response",
        "corrective_actions",
        "retraction_reason",
    ],
    "timelineevent": ["description"],
    "costestimate": ["claimed_by", "note"],
    "incidentimage": ["alt_text", "caption"],
    "correction": ["note"],
    "company": ["description"],
    "sector": ["description", "recourse"],
}
HISTORICAL = {"incident", "timelineevent", "costestimate", "incidentimage", "correction"}
LANGUAGES = ("en", "fr")


def move_texts(apps, schema_editor):
    Incident = apps.get_model("incidents", "Incident")
    for name, fields in TEXTS.items():
        models_ = [apps.get_model("incidents", name)]
        if name in HISTORICAL:
            models_.append(apps.get_model("incidents", f"historical{name}"))
        for model in models_:
            if name in ("company", "sector"):
                model.objects.update(**{f"{field}_en": F(field) for field in fields})
                continue
            for language in LANGUAGES:
                if name == "incident":
                    rows = model.objects.filter(language=language)
                else:
                    own = Incident.objects.filter(pk=OuterRef("incident_id")).values("language")
                    rows = model.objects.annotate(case_language=Subquery(own)).filter(case_language=language)
                    rows = model.objects.filter(pk__in=rows.values("pk"))
                present = {f.name for f in model._meta.fields}  # history leaves out the rendered story
                rows.update(**{f"{field}_{language}": F(field) for field in fields if field in present})


class Migration(migrations.Migration):
    dependencies = [
        ("incidents", "0006_covering_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="company",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="company",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="correction",
            name="note_en",
            field=models.TextField(null=True, verbose_name="what was corrected"),
        ),
        migrations.AddField(
            model_name="correction",
            name="note_fr",
            field=models.TextField(null=True, verbose_name="what was corrected"),
        ),
        migrations.AddField(
            model_name="costestimate",
            name="claimed_by_en",
            field=models.CharField(
                blank=True,
                help_text="Who made the estimate: an analyst, a newspaper...",
                max_length=200,
                null=True,
                verbose_name="claimed by",
            ),
        ),
        migrations.AddField(
            model_name="costestimate",
            name="claimed_by_fr",
            field=models.CharField(
                blank=True,
                help_text="Who made the estimate: an analyst, a newspaper...",
                max_length=200,
                null=True,
                verbose_name="claimed by",
            ),
        ),
        migrations.AddField(
            model_name="costestimate",
            name="note_en",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="costestimate",
            name="note_fr",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="historicalcorrection",
            name="note_en",
            field=models.TextField(null=True, verbose_name="what was corrected"),
        ),
        migrations.AddField(
            model_name="historicalcorrection",
            name="note_fr",
            field=models.TextField(null=True, verbose_name="what was corrected"),
        ),
        migrations.AddField(
            model_name="historicalcostestimate",
            name="claimed_by_en",
            field=models.CharField(
                blank=True,
                help_text="Who made the estimate: an analyst, a newspaper...",
                max_length=200,
                null=True,
                verbose_name="claimed by",
            ),
        ),
        migrations.AddField(
            model_name="historicalcostestimate",
            name="claimed_by_fr",
            field=models.CharField(
                blank=True,
                help_text="Who made the estimate: an analyst, a newspaper...",
                max_length=200,
                null=True,
                verbose_name="claimed by",
            ),
        ),
        migrations.AddField(
            model_name="historicalcostestimate",
            name="note_en",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="historicalcostestimate",
            name="note_fr",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="note"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="apology_text_en",
            field=models.TextField(
                blank=True,
                help_text="Quote it when it is on the record.",
                null=True,
                verbose_name="what the apology (or refusal) said",
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="apology_text_fr",
            field=models.TextField(
                blank=True,
                help_text="Quote it when it is on the record.",
                null=True,
                verbose_name="what the apology (or refusal) said",
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="corrective_actions_en",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="corrective actions"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="corrective_actions_fr",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="corrective actions"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="lesson_en",
            field=models.TextField(
                blank=True, help_text="The moral of the story. Required to publish.", null=True, verbose_name="lesson"
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="lesson_fr",
            field=models.TextField(
                blank=True, help_text="The moral of the story. Required to publish.", null=True, verbose_name="lesson"
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="response_en",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="the company's response"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="response_fr",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="the company's response"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="retraction_reason_en",
            field=models.TextField(blank=True, null=True, verbose_name="why it was retracted"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="retraction_reason_fr",
            field=models.TextField(blank=True, null=True, verbose_name="why it was retracted"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="story_en",
            field=models.TextField(
                blank=True, help_text="The full story, in Markdown.", null=True, verbose_name="story"
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="story_fr",
            field=models.TextField(
                blank=True, help_text="The full story, in Markdown.", null=True, verbose_name="story"
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="summary_en",
            field=models.TextField(
                help_text="One paragraph shown in lists and share previews.", null=True, verbose_name="summary"
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="summary_fr",
            field=models.TextField(
                help_text="One paragraph shown in lists and share previews.", null=True, verbose_name="summary"
            ),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="title_en",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="historicalincident",
            name="title_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="historicalincidentimage",
            name="alt_text_en",
            field=models.CharField(
                blank=True,
                help_text="What the image shows, for people who cannot see it.",
                max_length=300,
                null=True,
                verbose_name="alt text",
            ),
        ),
        migrations.AddField(
            model_name="historicalincidentimage",
            name="alt_text_fr",
            field=models.CharField(
                blank=True,
                help_text="What the image shows, for people who cannot see it.",
                max_length=300,
                null=True,
                verbose_name="alt text",
            ),
        ),
        migrations.AddField(
            model_name="historicalincidentimage",
            name="caption_en",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="caption"),
        ),
        migrations.AddField(
            model_name="historicalincidentimage",
            name="caption_fr",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="caption"),
        ),
        migrations.AddField(
            model_name="historicaltimelineevent",
            name="description_en",
            field=models.CharField(max_length=500, null=True, verbose_name="what happened"),
        ),
        migrations.AddField(
            model_name="historicaltimelineevent",
            name="description_fr",
            field=models.CharField(max_length=500, null=True, verbose_name="what happened"),
        ),
        migrations.AddField(
            model_name="incident",
            name="apology_text_en",
            field=models.TextField(
                blank=True,
                help_text="Quote it when it is on the record.",
                null=True,
                verbose_name="what the apology (or refusal) said",
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="apology_text_fr",
            field=models.TextField(
                blank=True,
                help_text="Quote it when it is on the record.",
                null=True,
                verbose_name="what the apology (or refusal) said",
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="corrective_actions_en",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="corrective actions"),
        ),
        migrations.AddField(
            model_name="incident",
            name="corrective_actions_fr",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="corrective actions"),
        ),
        migrations.AddField(
            model_name="incident",
            name="lesson_en",
            field=models.TextField(
                blank=True, help_text="The moral of the story. Required to publish.", null=True, verbose_name="lesson"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="lesson_fr",
            field=models.TextField(
                blank=True, help_text="The moral of the story. Required to publish.", null=True, verbose_name="lesson"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="response_en",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="the company's response"),
        ),
        migrations.AddField(
            model_name="incident",
            name="response_fr",
            field=models.TextField(blank=True, help_text="Markdown.", null=True, verbose_name="the company's response"),
        ),
        migrations.AddField(
            model_name="incident",
            name="retraction_reason_en",
            field=models.TextField(blank=True, null=True, verbose_name="why it was retracted"),
        ),
        migrations.AddField(
            model_name="incident",
            name="retraction_reason_fr",
            field=models.TextField(blank=True, null=True, verbose_name="why it was retracted"),
        ),
        migrations.AddField(
            model_name="incident",
            name="story_en",
            field=models.TextField(
                blank=True, help_text="The full story, in Markdown.", null=True, verbose_name="story"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="story_fr",
            field=models.TextField(
                blank=True, help_text="The full story, in Markdown.", null=True, verbose_name="story"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="story_html_en",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="story_html_fr",
            field=models.TextField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="incident",
            name="summary_en",
            field=models.TextField(
                help_text="One paragraph shown in lists and share previews.", null=True, verbose_name="summary"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="summary_fr",
            field=models.TextField(
                help_text="One paragraph shown in lists and share previews.", null=True, verbose_name="summary"
            ),
        ),
        migrations.AddField(
            model_name="incident",
            name="title_en",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="incident",
            name="title_fr",
            field=models.CharField(max_length=200, null=True, verbose_name="title"),
        ),
        migrations.AddField(
            model_name="incidentimage",
            name="alt_text_en",
            field=models.CharField(
                blank=True,
                help_text="What the image shows, for people who cannot see it.",
                max_length=300,
                null=True,
                verbose_name="alt text",
            ),
        ),
        migrations.AddField(
            model_name="incidentimage",
            name="alt_text_fr",
            field=models.CharField(
                blank=True,
                help_text="What the image shows, for people who cannot see it.",
                max_length=300,
                null=True,
                verbose_name="alt text",
            ),
        ),
        migrations.AddField(
            model_name="incidentimage",
            name="caption_en",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="caption"),
        ),
        migrations.AddField(
            model_name="incidentimage",
            name="caption_fr",
            field=models.CharField(blank=True, max_length=300, null=True, verbose_name="caption"),
        ),
        migrations.AddField(
            model_name="sector",
            name="description_en",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="sector",
            name="description_fr",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AddField(
            model_name="sector",
            name="recourse_en",
            field=models.TextField(
                blank=True,
                help_text="Where a wronged customer of this sector can turn (ombudsman, regulator, mediator). Markdown.",
                null=True,
                verbose_name="recourse",
            ),
        ),
        migrations.AddField(
            model_name="sector",
            name="recourse_fr",
            field=models.TextField(
                blank=True,
                help_text="Where a wronged customer of this sector can turn (ombudsman, regulator, mediator). Markdown.",
                null=True,
                verbose_name="recourse",
            ),
        ),
        migrations.AddField(
            model_name="timelineevent",
            name="description_en",
            field=models.CharField(max_length=500, null=True, verbose_name="what happened"),
        ),
        migrations.AddField(
            model_name="timelineevent",
            name="description_fr",
            field=models.CharField(max_length=500, null=True, verbose_name="what happened"),
        ),
        migrations.AddField(
            model_name="incident",
            name="translated",
            field=models.BooleanField(
                default=False,
                editable=False,
                help_text="Its title, summary, story and lesson exist in French and in English.",
                verbose_name="in both languages",
            ),
        ),
        migrations.AlterField(
            model_name="historicalincident",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("fr", "French")],
                default="en",
                help_text="The language the case was written in; the other one is its translation.",
                max_length=2,
                verbose_name="original language",
            ),
        ),
        migrations.AlterField(
            model_name="incident",
            name="language",
            field=models.CharField(
                choices=[("en", "English"), ("fr", "French")],
                default="en",
                help_text="The language the case was written in; the other one is its translation.",
                max_length=2,
                verbose_name="original language",
            ),
        ),
        migrations.RunPython(move_texts, migrations.RunPython.noop),
    ]
