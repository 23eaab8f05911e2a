"""The catalogue: cases of customer-service failure, the companies behind them, and what they teach."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from incidents import search
from incidents.i18n import reader_language
from incidents.text import date_format, render_markdown

# Reference rates used ONLY to sort and filter by "costliest bad buzz" across currencies.
# Amounts are always shown in their own currency and never added across currencies.
EUR_REFERENCE_RATES = {
    "EUR": Decimal("1"),
    "USD": Decimal("0.92"),
    "GBP": Decimal("1.17"),
    "CAD": Decimal("0.68"),
    "CHF": Decimal("1.04"),
    "AUD": Decimal("0.61"),
    "JPY": Decimal("0.0062"),
    "KRW": Decimal("0.00068"),
    "SEK": Decimal("0.087"),
    "NOK": Decimal("0.086"),
    "DKK": Decimal("0.134"),
    "INR": Decimal("0.011"),
    "CNY": Decimal("0.13"),
    "BRL": Decimal("0.17"),
}
CURRENCY_CHOICES = [(code, code) for code in sorted(EUR_REFERENCE_RATES)]


class DatePrecision(models.TextChoices):
    DAY = "day", _("Day")
    MONTH = "month", _("Month")
    YEAR = "year", _("Year")


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    FRENCH = "fr", _("French")


LANGUAGE_CODES = ("en", "fr")


def in_each_language(name):
    """The fields of translated text `name`, one per language: ("title_en", "title_fr")."""
    return tuple(f"{name}_{language}" for language in LANGUAGE_CODES)


# A case can be read in a language when these texts exist in it (Incident.available_in()).
MAIN_TEXTS = ("title", "summary", "story", "lesson")


class ApologyQuality(models.IntegerChoices):
    """An ordered scale: a lower value is a worse apology."""

    REFUSED = 0, _("Refused")
    NONE = 1, pgettext_lazy("apology", "None")
    NON_APOLOGY = 2, _("Non-apology")
    FORMAL = 3, _("Formal")
    SINCERE = 4, _("Sincere")
    EXEMPLARY = 5, _("Exemplary")

    @property
    def definition(self):
        return APOLOGY_DEFINITIONS[self.value]

    @property
    def slug(self):
        return self.name.lower().replace("_", "-")


APOLOGY_DEFINITIONS = {
    0: _("The company was asked to apologise and explicitly refused."),
    1: _("The company never apologised, and was not seen to be asked."),
    2: _("Words shaped like an apology that blame the customer or regret only their feelings."),
    3: _("A correct, impersonal apology that names the failure but stops there."),
    4: _("A personal apology that takes responsibility and puts the customer's loss right."),
    5: _("A sincere apology followed by visible changes so that it does not happen again."),
}
APOLOGY_BY_SLUG = {choice.slug: choice for choice in ApologyQuality}


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    REVIEW = "review", _("In review")
    PUBLISHED = "published", _("Published")
    RETRACTED = "retracted", _("Retracted")
    MERGED = "merged", _("Merged into another case")


class Channel(models.TextChoices):
    CUSTOMER_SERVICE = "customer_service", _("Customer service")
    SOCIAL_MEDIA = "social_media", _("Social media")
    PRESS = "press", _("Press")
    REGULATOR = "regulator", _("Ombudsman or regulator")
    COURT = "court", _("Court")
    COMPANY = "company", _("Company statement")


class CostKind(models.TextChoices):
    BAD_BUZZ = "bad_buzz", _("Cost of the bad buzz")
    REMEDY = "remedy", _("Cost of the remedy")
    COMPENSATION = "compensation", _("Compensation paid")
    FINE = "fine", _("Fine")


class CostMethod(models.TextChoices):
    """What a figure is: the page shows it beside each cost line (docs/methodology)."""

    SHARE_PRICE = "share_price", _("Market value move")
    REFUNDS = "refunds", _("Refunds paid")
    FINES = "fines", _("Regulator or court decision")
    MEDIA_VALUE = "media_value", _("Advertising equivalent")
    COMPANY_ACCOUNTS = "company_accounts", _("Published accounts")
    COMPANY_FORECAST = "company_forecast", _("Company forecast")
    PRESS_ESTIMATE = "press_estimate", _("Press estimate")
    OTHER = "other", _("Other")


class SourceKind(models.TextChoices):
    PRESS = "press", _("Press article")
    COURT = "court", _("Court ruling")
    REPORT = "report", _("Official report")
    COMPANY = "company", _("Company statement")
    VIDEO = "video", _("Video")
    SOCIAL = "social", _("Social media post")
    REFERENCE = "reference", _("Reference work")


def approximate_date_text(date, precision):
    """How a date reads at its precision: "14 March 2008", "December 2009" or "2009" (in French "1er mars 2008")."""
    if date is None:
        return ""
    if precision == DatePrecision.YEAR:
        return str(date.year)
    if precision == DatePrecision.MONTH:
        return date_format(date, "YEAR_MONTH_FORMAT")
    return date_format(date, "DATE_FORMAT")


def truncate_to_precision(date, precision):
    if date is None:
        return None
    if precision == DatePrecision.YEAR:
        return date.replace(month=1, day=1)
    if precision == DatePrecision.MONTH:
        return date.replace(day=1)
    return date


class URLField(models.URLField):
    """A URL field whose forms assume https for an address typed without a scheme (Django 6's default)."""

    def formfield(self, **kwargs):
        kwargs.setdefault("assume_scheme", "https")
        return super().formfield(**kwargs)


class SlugManager(models.Manager):
    """Fixtures refer to taxonomy rows by slug, so they load the same on any database."""

    def get_by_natural_key(self, slug):
        return self.get(slug=slug)


class NaturalSlugMixin:
    def natural_key(self):
        return (self.slug,)


class SectorQuerySet(models.QuerySet):
    def with_published_counts(self):
        """Each sector with `n_cases`, its published cases, and `n_companies`, its companies that have one."""
        published = Q(companies__incidents__status=Status.PUBLISHED)
        return self.annotate(
            n_cases=Count("companies__incidents", filter=published),
            n_companies=Count("companies", filter=published, distinct=True),
        )


class Sector(NaturalSlugMixin, models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.TextField(_("description"), blank=True)
    recourse = models.TextField(
        _("recourse"),
        blank=True,
        help_text=_("Where a wronged customer of this sector can turn (ombudsman, regulator, mediator). Markdown."),
    )

    objects = SlugManager.from_queryset(SectorQuerySet)()

    class Meta:
        ordering = ["name"]
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incidents:sector_detail", kwargs={"slug": self.slug})

    @property
    def recourse_html(self):
        return render_markdown(self.recourse)


class CompanyQuerySet(models.QuerySet):
    def with_published_counts(self):
        """Each company with `n_cases`, its published cases (drafts, retracted and merged ones do not count)."""
        return self.annotate(n_cases=Count("incidents", filter=Q(incidents__status=Status.PUBLISHED)))


class Company(NaturalSlugMixin, models.Model):
    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    sector = models.ForeignKey(Sector, on_delete=models.PROTECT, related_name="companies", verbose_name=_("sector"))
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text=_("ISO 3166 code of the head office, e.g. FR.")
    )
    website = URLField(_("website"), blank=True)
    description = models.TextField(_("description"), blank=True)
    logo = models.ImageField(_("logo"), upload_to="logos/", blank=True)

    objects = SlugManager.from_queryset(CompanyQuerySet)()

    class Meta:
        ordering = ["name"]
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        constraints = [
            models.UniqueConstraint(Lower("name"), name="company_name_unique_ci"),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"), name="company_country_iso"
            ),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.refresh_search_documents()

    def get_absolute_url(self):
        return reverse("incidents:company_detail", kwargs={"slug": self.slug})

    def refresh_search_documents(self):
        """Company names and aliases are searchable through each of the company's cases (in both languages)."""
        aliases = [alias.name for alias in self.aliases.all()]
        cases = list(Incident.objects.filter(company=self).only("pk", "company", *search.document_fields()))
        for incident in cases:
            incident.company = self
            incident.refresh_search_document(aliases=aliases)
        # The database's triggers index the new documents (the search vectors, or SQLite's full-text table).
        Incident.objects.bulk_update(cases, Incident.SEARCH_DOCUMENTS, batch_size=500)


class CompanyAlias(models.Model):
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="aliases")
    name = models.CharField(
        _("alias"), max_length=200, help_text=_("Another name readers know the company by, e.g. Meta for Facebook.")
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("alias")
        verbose_name_plural = _("aliases")
        constraints = [models.UniqueConstraint(Lower("name"), "company", name="alias_unique_per_company")]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        # The admin saves a company before its alias inlines: the cases learn the new name here.
        super().save(*args, **kwargs)
        self.company.refresh_search_documents()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.company.refresh_search_documents()
        return result


class Lesson(NaturalSlugMixin, models.Model):
    """A lesson theme; the four of the seed article first, editors may add more."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, unique=True)
    summary = models.CharField(_("summary"), max_length=300, help_text=_("One sentence shown in lists."))
    body = models.TextField(_("what it teaches"), blank=True, help_text=_("Markdown."))
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = SlugManager()

    class Meta:
        ordering = ["position", "title"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("incidents:lesson_detail", kwargs={"slug": self.slug})

    @property
    def body_html(self):
        return render_markdown(self.body)


class HarmType(NaturalSlugMixin, models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    slug = models.SlugField(_("slug"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    objects = SlugManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("harm type")
        verbose_name_plural = _("harm types")

    def __str__(self):
        return self.name


class IncidentQuerySet(models.QuerySet):
    def published(self):
        return self.filter(status=Status.PUBLISHED)

    def public(self):
        """Cases whose URL answers something to the public: published, retracted or merged."""
        return self.filter(status__in=[Status.PUBLISHED, Status.RETRACTED, Status.MERGED])

    def with_related(self):
        # Its costs give a case card its price of not apologising (incidents/price.py).
        return self.select_related("company", "company__sector").prefetch_related("harm_types", "costs")

    def without_long_texts(self):
        """The rows without what only a case's own page reads (`LONG_FIELDS`): most of a row's bytes."""
        return self.defer(*LONG_FIELDS)

    def for_company(self, company):
        return self.filter(company=company)

    def for_sector(self, sector):
        return self.filter(company__sector=sector)

    def newest(self):
        return self.order_by(F("published_at").desc(nulls_last=True), "-id")


# A case's long texts, and its search documents and vectors: what only its own page (or the search index)
# reads, and most of its row. Lists of cases leave them out, but for the story and lesson: whether a reader can
# read the case in their language depends on them (`Incident.available_in`), and modeltranslation reads
# "story" in a defer() as the active language's story.
LONG_FIELDS = tuple(
    field
    for name in ("story_html", "response", "corrective_actions", "apology_text")
    for field in (name, *in_each_language(name))
) + (*in_each_language("search_document"), *in_each_language("search_vector"))


class Incident(models.Model):
    """A case: a company mistreated customers; how it responded, what it cost, and the lesson."""

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=200, help_text=_("Part of the URL; old slugs keep redirecting."))
    summary = models.TextField(_("summary"), help_text=_("One paragraph shown in lists and share previews."))
    story = models.TextField(_("story"), blank=True, help_text=_("The full story, in Markdown."))
    story_html = models.TextField(editable=False, blank=True)
    lesson = models.TextField(_("lesson"), blank=True, help_text=_("The moral of the story. Required to publish."))
    company = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="incidents", verbose_name=_("company"))
    harm_types = models.ManyToManyField(HarmType, blank=True, related_name="incidents", verbose_name=_("harm"))
    lessons = models.ManyToManyField(Lesson, blank=True, related_name="incidents", verbose_name=_("lesson themes"))
    customers_affected = models.PositiveBigIntegerField(
        _("customers affected"), null=True, blank=True, help_text=_("Leave empty when unknown.")
    )
    country = models.CharField(
        _("country"),
        max_length=2,
        blank=True,
        help_text=_("ISO 3166 code where it happened, e.g. FR. A draft may leave it empty; publishing needs it."),
    )
    language = models.CharField(
        _("original language"),
        max_length=2,
        choices=Language.choices,
        default=Language.ENGLISH,
        help_text=_("The language the case was written in; the other one is its translation."),
    )
    translated = models.BooleanField(
        _("in both languages"),
        default=False,
        editable=False,
        help_text=_("Its title, summary, story and lesson exist in French and in English."),
    )

    occurred_on = models.DateField(
        _("happened on"), null=True, blank=True, help_text=_("For a month or a year, any day in it.")
    )
    occurred_precision = models.CharField(
        _("precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    first_response_on = models.DateField(_("first response on"), null=True, blank=True)
    first_response_precision = models.CharField(
        _("precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )
    resolved_on = models.DateField(_("resolved on"), null=True, blank=True)
    resolved_precision = models.CharField(
        _("precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY
    )

    apology_quality = models.PositiveSmallIntegerField(
        _("apology"), choices=ApologyQuality.choices, default=ApologyQuality.NONE
    )
    apology_owed = models.BooleanField(
        _("an apology was owed"),
        default=True,
        help_text=_(
            "Untick for a story of good service, where there was no failure to apologise for: the apology "
            "statistics and rankings then leave it out."
        ),
    )
    apology_text = models.TextField(
        _("what the apology (or refusal) said"), blank=True, help_text=_("Quote it when it is on the record.")
    )
    response = models.TextField(_("the company's response"), blank=True, help_text=_("Markdown."))
    corrective_actions = models.TextField(_("corrective actions"), blank=True, help_text=_("Markdown."))

    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    featured = models.BooleanField(_("featured"), default=False, help_text=_("Shown first on the home page."))
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="merged_cases",
        verbose_name=_("merged into"),
    )
    retracted_at = models.DateTimeField(_("retracted at"), null=True, blank=True)
    retraction_reason = models.TextField(_("why it was retracted"), blank=True)

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    # Denormalised for sorting, filtering and search; recomputed on every save.
    response_days = models.PositiveIntegerField(null=True, blank=True, editable=False)
    resolution_days = models.PositiveIntegerField(null=True, blank=True, editable=False)
    headline_cost_eur = models.DecimalField(max_digits=20, decimal_places=2, null=True, blank=True, editable=False)
    # What the case is found by in each language (incidents/search.py), recomputed on every save.
    search_document_en = models.TextField(blank=True, editable=False)
    search_document_fr = models.TextField(blank=True, editable=False)
    # PostgreSQL keeps them current with a trigger (migration 0008); unused on SQLite, where the same migration's
    # triggers keep a full-text table current instead.
    search_vector_en = SearchVectorField(null=True, editable=False)
    search_vector_fr = SearchVectorField(null=True, editable=False)
    SEARCH_DOCUMENTS = ["search_document_en", "search_document_fr"]

    # Its history is registered in incidents/translation.py, once its texts have a column per language.

    objects = IncidentQuerySet.as_manager()

    class Meta:
        ordering = ["-published_at", "-id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [
            ("publish_incident", _("Can publish, unpublish and retract cases")),
            ("merge_incident", _("Can merge duplicate cases")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(first_response_on__isnull=True)
                | Q(occurred_on__isnull=True)
                | Q(first_response_on__gte=F("occurred_on")),
                name="incident_response_not_before_incident",
                violation_error_message=_("The first response cannot come before the incident."),
            ),
            models.CheckConstraint(
                condition=Q(resolved_on__isnull=True)
                | Q(occurred_on__isnull=True)
                | Q(resolved_on__gte=F("occurred_on")),
                name="incident_resolution_not_before_incident",
                violation_error_message=_("The resolution cannot come before the incident."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="incident_published_has_date",
                violation_error_message=_("A published case needs a publication date."),
            ),
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="incident_merged_has_target",
                violation_error_message=_("A merged case must say which case it was merged into."),
            ),
            models.CheckConstraint(
                condition=Q(merged_into__isnull=True) | ~Q(merged_into=F("pk")),
                name="incident_not_merged_into_itself",
                violation_error_message=_("A case cannot be merged into itself."),
            ),
            models.CheckConstraint(
                condition=Q(country="") | Q(country__regex=r"^[A-Z]{2}$"),
                name="incident_country_iso",
                violation_error_message=_("Use a two-letter ISO 3166 country code in capitals, e.g. FR."),
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | ~Q(country=""),
                name="incident_published_has_country",
                violation_error_message=_("A published case needs its country."),
            ),
        ]
        # The sort indexes use NULLS LAST, which SQLite cannot index: they live in migration 0003 (PostgreSQL).
        indexes = [models.Index(fields=["company", "status"], name="inc_company_status")]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def save(self, *args, **kwargs):
        for language in LANGUAGE_CODES:
            story = getattr(self, f"story_{language}")
            setattr(self, f"story_html_{language}", render_markdown(story) if story else None)
        self.translated = all(self.available_in(language) for language in LANGUAGE_CODES)
        self.response_days = self._compute_days(self.first_response_on, self.first_response_precision)
        self.resolution_days = self._compute_days(self.resolved_on, self.resolved_precision)
        if self.status == Status.PUBLISHED and not self.published_at:
            self.published_at = timezone.now()
        if self.status == Status.RETRACTED and not self.retracted_at:
            self.retracted_at = timezone.now()
        self.refresh_search_document()
        if self.pk:
            self.refresh_headline_cost()
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("incidents:incident_detail", kwargs={"pk": self.pk, "slug": self.slug or "-"})

    def available_in(self, language):
        """Whether a reader of `language` can read the case in it: its main texts exist in that language."""
        return all(getattr(self, f"{field}_{language}", None) for field in MAIN_TEXTS)

    def text_language(self, language=None):
        """The language a reader of `language` (the active one by default) is shown: theirs, or the original's.
        (One text's language, whatever the case's: `i18n.shown_language()`.)"""
        language = reader_language(language)
        return language if self.available_in(language) else self.language

    @property
    def reference(self):
        """The short public reference, e.g. SC-0042; it never changes."""
        return f"SC-{self.pk:04d}" if self.pk else "SC-????"

    @property
    def is_published(self):
        return self.status == Status.PUBLISHED

    @property
    def apology(self):
        return ApologyQuality(self.apology_quality)

    @property
    def occurred_text(self):
        return approximate_date_text(self.occurred_on, self.occurred_precision)

    @property
    def response_html(self):
        return render_markdown(self.response)

    @property
    def corrective_actions_html(self):
        return render_markdown(self.corrective_actions)

    def delay_to_first_response(self):
        from incidents.text import describe_delay

        return describe_delay(
            self.occurred_on, self.occurred_precision, self.first_response_on, self.first_response_precision
        )

    def delay_to_resolution(self):
        from incidents.text import describe_delay

        return describe_delay(self.occurred_on, self.occurred_precision, self.resolved_on, self.resolved_precision)

    def missing_for_publication(self):
        """What stops this case from being published, as messages an editor reads (empty when ready).

        Its texts count in its original language only: a missing translation never stops it (the admin warns).
        """
        missing = self.missing_fields_for_publication()
        if self.pk:
            if not self.sources.exists():
                missing.append(_("at least one source"))
            alt_text = f"alt_text_{self.language}"
            if self.images.filter(Q(**{f"{alt_text}__isnull": True}) | Q(**{alt_text: ""})).exists():
                missing.append(_("alt text for every image"))
        else:
            missing.append(_("at least one source"))
        return missing

    def missing_fields_for_publication(self):
        """The part of `missing_for_publication()` a form can check before its inlines are saved."""
        missing = []
        for name, label in [
            ("summary", _("a summary")),
            ("story", _("the story")),
            ("lesson", _("the lesson")),
        ]:
            if not (getattr(self, f"{name}_{self.language}", None) or "").strip():
                missing.append(label)
        if not self.company_id:
            missing.append(_("a company"))
        if not self.occurred_on:
            missing.append(_("the date it happened"))
        if not (self.country or "").strip():
            missing.append(_("the country"))
        return missing

    def _compute_days(self, end, end_precision):
        if not self.occurred_on or not end:
            return None
        start = truncate_to_precision(self.occurred_on, self.occurred_precision)
        finish = truncate_to_precision(end, end_precision)
        return max((finish - start).days, 0)

    def refresh_search_document(self, save=False, aliases=None):
        """Recompute what the case is found by in each language. `aliases` (its company's alias names) saves a
        query per case when a company refreshes all of its cases."""
        company = self.company if self.company_id else None
        if aliases is None:
            aliases = [alias.name for alias in company.aliases.all()] if company else []
        documents = search.case_documents(self, company.name if company else "", aliases)
        for language, document in documents.items():
            setattr(self, f"search_document_{language}", document)
        if save:
            documents = {field: getattr(self, field) for field in self.SEARCH_DOCUMENTS}
            Incident.objects.filter(pk=self.pk).update(**documents)

    @property
    def search_document(self):
        """What the case is found by in the active language."""
        return getattr(self, f"search_document_{search.reader_language()}")

    def refresh_headline_cost(self, save=False):
        # The largest estimate, its high end for a range, as the case page picks it (cards.headline_figure); a
        # plain "-amount_high" would put single amounts (NULL high end) first on PostgreSQL and last on SQLite.
        estimate = (
            self.costs.filter(kind=CostKind.BAD_BUZZ)
            .order_by(Coalesce("amount_high", "amount_low").desc(), "position", "id")
            .first()
            if self.pk
            else None
        )
        self.headline_cost_eur = estimate.amount_in_eur() if estimate else None
        if save:
            Incident.objects.filter(pk=self.pk).update(headline_cost_eur=self.headline_cost_eur)


class CostEstimate(models.Model):
    """One line of the ledger: a bad-buzz estimate, a remedy, compensation or a fine, in one currency."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="costs")
    kind = models.CharField(_("kind"), max_length=15, choices=CostKind.choices)
    amount_low = models.DecimalField(
        _("amount"), max_digits=18, decimal_places=2, help_text=_("The amount, or the low end of a range.")
    )
    amount_high = models.DecimalField(
        _("high end"), max_digits=18, decimal_places=2, null=True, blank=True, help_text=_("Only for a range.")
    )
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    method = models.CharField(_("method"), max_length=20, choices=CostMethod.choices, default=CostMethod.OTHER)
    claimed_by = models.CharField(
        _("claimed by"), max_length=200, blank=True, help_text=_("Who made the estimate: an analyst, a newspaper...")
    )
    source = models.ForeignKey(
        "Source", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("source")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("cost estimate")
        verbose_name_plural = _("cost estimates")
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_low__gte=0),
                name="cost_amount_not_negative",
                violation_error_message=_("An amount cannot be negative."),
            ),
            models.CheckConstraint(
                condition=Q(amount_high__isnull=True) | Q(amount_high__gte=F("amount_low")),
                name="cost_range_ordered",
                violation_error_message=_("The high end of a range cannot be below its low end."),
            ),
            models.CheckConstraint(
                condition=Q(currency__regex=r"^[A-Z]{3}$"),
                name="cost_currency_iso",
                violation_error_message=_("Use a three-letter ISO 4217 currency code, e.g. EUR."),
            ),
        ]
        indexes = [models.Index(fields=["kind", "currency"], name="cost_kind_currency")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.amount_display}"

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        self.incident.refresh_headline_cost(save=True)

    @property
    def is_range(self):
        return self.amount_high is not None and self.amount_high != self.amount_low

    @property
    def amount_display(self):
        from incidents.text import format_money

        if self.is_range:
            return f"{format_money(self.amount_low, self.currency)} – {format_money(self.amount_high, self.currency)}"
        return format_money(self.amount_low, self.currency)

    @property
    def central_amount(self):
        if self.is_range:
            return (self.amount_low + self.amount_high) / 2
        return self.amount_low

    def amount_in_eur(self):
        rate = EUR_REFERENCE_RATES.get(self.currency)
        amount = self.amount_high if self.amount_high is not None else self.amount_low
        return (amount * rate).quantize(Decimal("0.01")) if rate is not None else None

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        self.incident.refresh_headline_cost(save=True)
        return result


class Source(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="sources")
    kind = models.CharField(_("kind"), max_length=10, choices=SourceKind.choices, default=SourceKind.PRESS)
    url = URLField(_("URL"), max_length=500, blank=True, help_text=_("Leave empty for print only."))
    title = models.CharField(_("title"), max_length=300)
    publisher = models.CharField(_("publisher"), max_length=200)
    published_on = models.DateField(_("published on"), null=True, blank=True)
    archive_url = URLField(
        _("archived copy"), max_length=500, blank=True, help_text=_("A copy on the Wayback Machine or archive.today.")
    )
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.ENGLISH)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # What `check_sources` last found at the URL (incidents/sources.py); never hides a case.
    checked_at = models.DateTimeField(_("link last checked"), null=True, blank=True, editable=False)
    check_status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True, editable=False)
    check_error = models.CharField(_("link problem"), max_length=200, blank=True, editable=False)

    history = HistoricalRecords()  # link checks write with update(): they never add a version

    class Meta:
        ordering = ["position", "published_on", "id"]
        verbose_name = _("source")
        verbose_name_plural = _("sources")

    def __str__(self):
        return f"{self.publisher}: {self.title}"


class TimelineEvent(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    date = models.DateField(_("date"))
    precision = models.CharField(_("precision"), max_length=5, choices=DatePrecision.choices, default=DatePrecision.DAY)
    description = models.CharField(_("what happened"), max_length=500)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, blank=True)
    is_turning_point = models.BooleanField(
        _("turning point"), default=False, help_text=_("The moment the company changed course.")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["date", "position", "id"]
        verbose_name = _("timeline event")
        verbose_name_plural = _("timeline")

    def __str__(self):
        return f"{self.date_text}: {self.description}"

    @property
    def date_text(self):
        return approximate_date_text(self.date, self.precision)


def image_upload_to(instance, filename):
    return f"cases/{datetime.date.today():%Y/%m}/{filename}"


class IncidentImage(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(_("image"), upload_to=image_upload_to, width_field="width", height_field="height")
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    renditions = models.JSONField(default=dict, blank=True, editable=False)
    alt_text = models.CharField(
        _("alt text"), max_length=300, blank=True, help_text=_("What the image shows, for people who cannot see it.")
    )
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    credit = models.CharField(_("credit"), max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "id"]
        verbose_name = _("image")
        verbose_name_plural = _("images")

    def __str__(self):
        return self.alt_text or self.image.name

    def srcset(self, image_format="webp"):
        """The `srcset` of one format ("webp" or "fallback"): "/media/...-480w.webp 480w, ..."."""
        from incidents.images import srcset

        return srcset(self.renditions, image_format)

    @property
    def webp_srcset(self):
        return self.srcset("webp")

    @property
    def fallback_srcset(self):
        return self.srcset("fallback")

    @property
    def fallback_type(self):
        """The MIME type of the fallback renditions: image/jpeg, or image/png for images with transparency."""
        from incidents.images import fallback_type

        return fallback_type(self.renditions)

    @property
    def src(self):
        """A middle-sized fallback rendition for `<img src>` (the original until renditions exist)."""
        from incidents.images import default_src

        return default_src(self.renditions) or (self.image.url if self.image else "")


class Correction(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="corrections")
    date = models.DateField(_("date"), default=datetime.date.today)
    note = models.TextField(_("what was corrected"))

    class Meta:
        ordering = ["date", "id"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self):
        return f"{self.date}: {self.note[:60]}"


class Tip(models.Model):
    """A story sent by a reader through the public form; editors triage it."""

    class TipStatus(models.TextChoices):
        NEW = "new", _("New")
        TRIAGED = "triaged", _("Being checked")
        CONVERTED = "converted", _("Turned into a case")
        REJECTED = "rejected", _("Rejected")

    what_happened = models.TextField(_("what happened"), max_length=5000)
    company_name = models.CharField(_("company"), max_length=200)
    when = models.CharField(_("when"), max_length=100, blank=True)
    links = models.TextField(_("links"), max_length=2000, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True, help_text=_("Never published."))
    status = models.CharField(_("status"), max_length=10, choices=TipStatus.choices, default=TipStatus.NEW)
    incident = models.ForeignKey(
        Incident, on_delete=models.SET_NULL, null=True, blank=True, related_name="tips", verbose_name=_("case")
    )
    editor_note = models.TextField(_("editor's note"), blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)
    client_hash = models.CharField(max_length=64, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("reader tip")
        verbose_name_plural = _("reader tips")

    def __str__(self):
        return f"{self.reference} {self.company_name}"

    @property
    def reference(self):
        return f"TIP-{self.pk:05d}" if self.pk else "TIP-?????"


# Fairness on the record: the right of reply and the promises of a case (models of this app).
from incidents.newsroom import Promise, PromiseOutcome, ReplyStatus, RightOfReply  # noqa: E402, F401
