"""Synthetic cases for load tests and benchmarks: realistic in shape, fictitious in substance, easy to remove.

Everything made here is marked so that nobody mistakes it for a real case and `delete_synthetic()` finds
exactly it: company and sector slugs start with `synthetic-`, company websites and source URLs are on
`example.org` / `.invalid` domains, and every story ends with the `[synthetic]` marker. No network, no model:
sentences are built from templates and word lists, drawn from a seeded `random.Random`, so a seed always gives
the same catalogue.

Rows are built and inserted batch by batch with `bulk_create`, so memory stays flat whatever the count.
`bulk_create` skips `Incident.save()`, so the fields it derives (rendered story, search documents, delays,
headline cost, whether it is translated) are computed here with the model's own helpers; the database's triggers
index the search documents on INSERT (PostgreSQL's search vectors, SQLite's full-text table). No
django-simple-history rows are written: a synthetic case has no editorial history.

A case is written in its original language, and a third of them in the other one too (the same sentences, from
the same choices), so that a large catalogue has cases in French, in English and in both.
"""

from __future__ import annotations

import contextlib
import datetime
import html
import math
import queue
import random
import re
import threading
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from incidents import search
from incidents.models import (
    EUR_REFERENCE_RATES,
    ApologyQuality,
    Channel,
    Company,
    CompanyAlias,
    CostEstimate,
    CostKind,
    CostMethod,
    DatePrecision,
    HarmType,
    Incident,
    Lesson,
    Sector,
    Source,
    SourceKind,
    Status,
    TimelineEvent,
)
from incidents.synthetic.words import (
    CLAIMANTS,
    COMPANY_KINDS,
    COUNTRIES,
    CURRENCY_OF,
    OTHER_CURRENCIES,
    PUBLISHERS,
    SYLLABLES,
    SYNTHETIC_SECTORS,
    WORDS,
)
from incidents.text import render_markdown

SLUG_PREFIX = "synthetic-"
MARKER = "[synthetic]"
TRANSLATED_SHARE = 1 / 3  # cases written in both languages; the others in their original language only

APOLOGY_WEIGHTS = [10, 30, 20, 20, 12, 8]  # refused, none, non-apology, formal, sincere, exemplary
COST_METHODS = {
    CostKind.BAD_BUZZ: [CostMethod.SHARE_PRICE, CostMethod.MEDIA_VALUE, CostMethod.OTHER],
    CostKind.REMEDY: [CostMethod.REFUNDS, CostMethod.COMPANY_ACCOUNTS],
    CostKind.COMPENSATION: [CostMethod.REFUNDS, CostMethod.COMPANY_ACCOUNTS],
    CostKind.FINE: [CostMethod.FINES],
}


SOURCE_KINDS = [kind.value for kind in SourceKind]


def _prerender(template):
    """A paragraph template rendered once by render_markdown, its {placeholders} kept for str.format().

    The words filled in are plain text (no Markdown), so filling the rendered template with their HTML-escaped
    form gives exactly render_markdown(filled template), at a fraction of the cost (tests/test_generate.py
    checks it on every generated story).
    """
    names = re.findall(r"{(\w+)}", template)
    tokens = {name: f"zq{name}qz" for name in names}
    rendered = str(render_markdown(template.format(**tokens)))
    rendered = rendered.replace("{", "{{").replace("}", "}}")
    for name, token in tokens.items():
        rendered = rendered.replace(token, "{" + name + "}")
    return rendered


def escaped(values):
    return {key: html.escape(str(value), quote=False) for key, value in values.items()}


PARAGRAPH_HTML = {lang: [_prerender(t) for t in words["paragraph"]] for lang, words in WORDS.items()}
MARKER_HTML = str(render_markdown(MARKER))


@dataclass
class CompanyInfo:
    id: int
    name: str
    country: str
    aliases: str


@dataclass
class Taxonomy:
    companies: list[CompanyInfo]
    weights: list[float]
    harm_ids: list[int]
    lesson_ids: list[int]
    cum_weights: list[float] = field(default_factory=list)

    def __post_init__(self):
        total = 0.0
        for w in self.weights:
            total += w
            self.cum_weights.append(total)


def company_specs(count, seed):
    """`count` distinct company names, the same for the same seed: (name, slug, country, alias or '')."""
    rng = random.Random(f"companies-{seed}")
    seen = set()
    specs = []
    while len(specs) < count:
        stem = "".join(rng.choice(SYLLABLES) for _ in range(rng.choice((2, 2, 3)))).capitalize()
        name = f"{stem} {rng.choice(COMPANY_KINDS)}"
        if name.lower() in seen:
            continue
        seen.add(name.lower())
        alias = f"{stem.upper()[:4]} {len(specs)}" if rng.random() < 0.1 else ""
        specs.append((name, SLUG_PREFIX + slugify(name), rng.choice(COUNTRIES), alias))
    return specs


def ensure_taxonomy(companies, seed):
    """Synthetic sectors and companies (created once, reused by later runs), and the harm and lesson ids."""
    for name, slug in SYNTHETIC_SECTORS:
        Sector.objects.get_or_create(
            slug=SLUG_PREFIX + slug,
            defaults={"name": name, "description_en": f"Synthetic sector for load tests. {MARKER}"},
        )
    sectors = list(Sector.objects.order_by("pk").values_list("pk", flat=True))
    rng = random.Random(f"sectors-{seed}")
    specs = company_specs(companies, seed)
    existing = set(Company.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", flat=True))
    new = [
        Company(
            name=name,
            slug=slug,
            sector_id=rng.choice(sectors),
            country=country,
            website=f"https://{slug.removeprefix(SLUG_PREFIX)}.example.org/",
            description_en=f"A fictitious company made for load tests. {MARKER}",
        )
        for name, slug, country, _alias in specs
        if slug not in existing
    ]
    Company.objects.bulk_create(new, batch_size=1000)
    by_slug = dict(Company.objects.filter(slug__startswith=SLUG_PREFIX).values_list("slug", "pk"))
    have_alias = set(CompanyAlias.objects.filter(company_id__in=by_slug.values()).values_list("company_id", flat=True))
    CompanyAlias.objects.bulk_create(
        [
            CompanyAlias(company_id=by_slug[slug], name=alias)
            for _name, slug, _country, alias in specs
            if alias and by_slug[slug] not in have_alias
        ],
        batch_size=1000,
    )
    infos = [CompanyInfo(by_slug[slug], name, country, alias) for name, slug, country, alias in specs]
    # A few companies collect most of the complaints, as in real life (Zipf-like).
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(infos))]
    harm_ids = list(HarmType.objects.order_by("pk").values_list("pk", flat=True))
    lesson_ids = list(Lesson.objects.order_by("pk").values_list("pk", flat=True))
    return Taxonomy(infos, weights, harm_ids, lesson_ids)


class CaseFactory:
    """Builds one batch of unsaved rows at a time from a seeded generator."""

    def __init__(self, taxonomy, seed, now=None):
        self.tax = taxonomy
        self.rng = random.Random(seed)
        self.now = now or timezone.now()
        self.today = timezone.localdate(self.now)
        self.serial = 0

    # Helpers -----------------------------------------------------------------------------------------

    def draw(self):
        """The random choices that fill one sentence, the same in each language it is written in."""
        rng = self.rng
        return {
            "person": rng.random(),
            "item": rng.random(),
            "city": rng.random(),
            "n": int(rng.lognormvariate(6, 1.5)) + 2,
            "k": rng.randint(2, 14),
            "amount": rng.choice((49, 80, 120, 250, 430, 900, 1200, 3500)),
        }

    @staticmethod
    def values(drawn, lang, company, place_lang=None):
        """A sentence's words in `lang` (its city from the case's original language, `place_lang`): each list's item
        at the drawn place, the numbers written as in `lang`."""
        words = WORDS[lang]
        cities = WORDS[place_lang or lang]["city"]
        return {
            "company": company.name,
            **{name: words[name][int(drawn[name] * len(words[name]))] for name in ("person", "item")},
            "city": cities[int(drawn["city"] * len(cities))],
            "n": f"{drawn['n']:,}".replace(",", " " if lang == "fr" else ","),
            "k": drawn["k"],
            "amount": f"{drawn['amount']} €",
        }

    @staticmethod
    def template(kind, index, lang):
        """The `index`-th sentence of a kind in `lang` (the lists of both languages are translations, item by item)."""
        return WORDS[lang][kind][index]

    def fill(self, kind, index, drawn, lang, company, place_lang=None):
        return self.template(kind, index, lang).format(**self.values(drawn, lang, company, place_lang))

    def fill_html(self, index, drawn, lang, company, place_lang=None):
        """What `fill("paragraph", ...)` gives, rendered to HTML (`PARAGRAPH_HTML`, filled with escaped words)."""
        return PARAGRAPH_HTML[lang][index].format(**escaped(self.values(drawn, lang, company, place_lang)))

    def date_between(self, start, end):
        span = (end - start).days
        return start + datetime.timedelta(days=self.rng.randint(0, max(span, 0)))

    def precision(self):
        r = self.rng.random()
        return DatePrecision.DAY if r < 0.6 else DatePrecision.MONTH if r < 0.85 else DatePrecision.YEAR

    def later(self, start, median_days, cap):
        days = min(int(self.rng.lognormvariate(math.log(median_days), 1.4)), cap)
        return min(start + datetime.timedelta(days=days), self.today)

    # One case ----------------------------------------------------------------------------------------

    def case(self):
        rng = self.rng
        tax = self.tax
        self.serial += 1
        company = rng.choices(tax.companies, cum_weights=tax.cum_weights)[0]
        lang = "fr" if rng.random() < (0.75 if company.country in ("FR", "BE", "CH", "CA") else 0.15) else "en"
        words = WORDS[lang]
        # Recent years hold more cases: the catalogue and the internet both grew.
        year = 2026 - min(int(rng.expovariate(1 / 5)), 26)
        occurred = self.date_between(datetime.date(year, 1, 1), min(datetime.date(year, 12, 31), self.today))
        occurred_precision = self.precision()
        response = None if rng.random() < 0.25 else self.later(occurred, 6, 900)
        resolved = None if response is None or rng.random() < 0.35 else self.later(response, 30, 1500)
        status = rng.choices([Status.PUBLISHED, Status.DRAFT, Status.REVIEW, Status.RETRACTED], weights=[93, 3, 2, 2])[
            0
        ]
        published_at = None
        if status in (Status.PUBLISHED, Status.RETRACTED):
            day = self.later(occurred, 120, 3000)
            published_at = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(rng.randint(6, 22), rng.randint(0, 59)))
            )
            published_at = min(published_at, self.now)
        apology = rng.choices(list(ApologyQuality), weights=APOLOGY_WEIGHTS)[0]

        languages = (lang, "en" if lang == "fr" else "fr") if rng.random() < TRANSLATED_SHARE else (lang,)
        # What the texts say, drawn once: each language writes the same sentences from the same choices.
        title = (rng.randrange(len(words["title"])), self.draw())
        summary = [(i, self.draw()) for i in rng.sample(range(len(words["summary"])), rng.randint(1, 2))]
        paragraphs = [(i, self.draw()) for i in rng.sample(range(len(words["paragraph"])), rng.randint(3, 6))]
        lesson = rng.randrange(len(words["lesson"]))
        apology_text = rng.randrange(len(words["apology"])) if apology >= ApologyQuality.NON_APOLOGY else None
        response_text = (rng.randrange(len(words["response"])), self.draw()) if response else None
        actions = (rng.randrange(len(words["actions"])), self.draw()) if apology >= ApologyQuality.SINCERE else None
        texts = {}
        for code in languages:
            texts[f"title_{code}"] = self.fill("title", *title, code, company, lang)[:200]
            texts[f"summary_{code}"] = " ".join(self.fill("summary", i, v, code, company, lang) for i, v in summary)
            story = [self.fill("paragraph", i, v, code, company, lang) for i, v in paragraphs]
            texts[f"story_{code}"] = "\n\n".join([*story, MARKER])
            rendered = [self.fill_html(i, v, code, company, lang) for i, v in paragraphs]
            texts[f"story_html_{code}"] = "\n".join([*rendered, MARKER_HTML])
            texts[f"lesson_{code}"] = self.template("lesson", lesson, code)
            if apology_text is not None:
                texts[f"apology_text_{code}"] = self.template("apology", apology_text, code)
            if response_text:
                texts[f"response_{code}"] = self.fill("response", *response_text, code, company, lang)
            if actions:
                texts[f"corrective_actions_{code}"] = self.fill("actions", *actions, code, company, lang)
        case = Incident(
            slug=slugify(texts[f"title_{lang}"])[:200] or "case",
            company_id=company.id,
            customers_affected=None if rng.random() < 0.3 else int(rng.lognormvariate(5, 2.5)) + 1,
            country=company.country if rng.random() < 0.85 else rng.choice(COUNTRIES),
            language=lang,
            translated=len(languages) == 2,
            occurred_on=occurred,
            occurred_precision=occurred_precision,
            first_response_on=response,
            first_response_precision=self.precision() if response else DatePrecision.DAY,
            resolved_on=resolved,
            resolved_precision=self.precision() if resolved else DatePrecision.DAY,
            apology_quality=apology,
            status=status,
            featured=status == Status.PUBLISHED and rng.random() < 0.001,
            published_at=published_at,
            retracted_at=self.now if status == Status.RETRACTED else None,
            retraction_reason_en="The sources did not support the story. [synthetic]"
            if status == Status.RETRACTED
            else None,
            created_at=published_at or self.now,
            updated_at=max(published_at or self.now, self.now - datetime.timedelta(days=rng.randint(0, 2000))),
            **texts,
        )
        case.response_days = case._compute_days(case.first_response_on, case.first_response_precision)
        case.resolution_days = case._compute_days(case.resolved_on, case.resolved_precision)
        aliases = [company.aliases] if company.aliases else []
        for code, document in search.case_documents(case, company.name, aliases).items():
            setattr(case, f"search_document_{code}", document)
        return (case, *self.children(case, languages, company))

    def children(self, case, languages, company):
        """Sources, costs, timeline, harm type ids and lesson ids of a case; `incident_id` is set once it is saved.
        Their texts are in the case's `languages`, its original one first."""
        rng = self.rng
        lang = languages[0]
        words = WORDS[lang]
        path = f"{case.occurred_on.year}/{case.slug[:60]}-{self.serial}"
        sources = []
        for position in range(rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]):
            host = f"news-{rng.randint(1, 40)}.example.org"
            sources.append(
                {
                    "kind": rng.choices(SOURCE_KINDS, weights=(60, 8, 8, 10, 6, 6, 2))[0],
                    "url": f"https://{host}/{path}",
                    "title": self.fill("source", rng.randrange(len(words["source"])), self.draw(), lang, company)[:300],
                    "publisher": rng.choice(PUBLISHERS[lang]),
                    "published_on": self.later(case.occurred_on, 10, 400),
                    "archive_url": f"https://archive.invalid/{host}/{path}" if rng.random() < 0.3 else "",
                    "language": lang,
                    "position": position,
                }
            )
        costs = []
        local = CURRENCY_OF.get(company.country, "EUR")
        for kind, chance, median in (
            (CostKind.BAD_BUZZ, 0.7, 2_000_000),
            (CostKind.REMEDY, 0.4, 800),
            (CostKind.COMPENSATION, 0.15, 20_000),
            (CostKind.FINE, 0.1, 500_000),
        ):
            if rng.random() >= chance:
                continue
            currency = local if rng.random() < 0.9 else rng.choice(OTHER_CURRENCIES)
            claimant = rng.randrange(len(CLAIMANTS[lang]))
            low = Decimal(int(rng.lognormvariate(math.log(median), 1.5)) + 1)
            high = low * rng.choice((2, 3, 5)) if rng.random() < 0.3 else None
            costs.append(
                {
                    "kind": kind.value,
                    "amount_low": low,
                    "amount_high": high,
                    "currency": currency,
                    "method": rng.choice(COST_METHODS[kind]).value,
                    **{f"claimed_by_{code}": CLAIMANTS[code][claimant] for code in languages},
                    "position": len(costs),
                }
            )
        # The biggest bad-buzz estimate is the headline, as on the case page (CostEstimate.amount_in_eur()).
        bad_buzz = [c for c in costs if c["kind"] == CostKind.BAD_BUZZ]
        headline = max(bad_buzz, key=lambda c: c["amount_high"] or c["amount_low"], default=None)
        if headline:
            amount = headline["amount_high"] or headline["amount_low"]
            case.headline_cost_eur = (amount * EUR_REFERENCE_RATES[headline["currency"]]).quantize(Decimal("0.01"))

        events = [(case.occurred_on, case.occurred_precision, 0, "", False)]
        for index in range(1, rng.randint(1, 5)):
            events.append((self.later(case.occurred_on, 8, 300), DatePrecision.DAY, index, "", False))
        if case.first_response_on:
            turning = case.apology_quality >= ApologyQuality.SINCERE
            events.append((case.first_response_on, case.first_response_precision, 5, Channel.COMPANY, turning))
        if case.resolved_on:
            events.append((case.resolved_on, case.resolved_precision, 6, Channel.CUSTOMER_SERVICE, False))
        channels = [Channel.CUSTOMER_SERVICE, Channel.SOCIAL_MEDIA, Channel.PRESS, Channel.REGULATOR, Channel.COURT]
        timeline = [
            {
                "date": date,
                "precision": precision,
                **{f"description_{code}": WORDS[code]["event"][text] for code in languages},
                "channel": channel or (channels[min(text - 1, 4)] if text else ""),
                "is_turning_point": turning,
                "position": position,
            }
            for position, (date, precision, text, channel, turning) in enumerate(sorted(events, key=lambda e: e[0]))
        ]
        harms = rng.sample(self.tax.harm_ids, min(len(self.tax.harm_ids), rng.choice((1, 1, 2, 2, 3))))
        lessons = rng.sample(self.tax.lesson_ids, min(len(self.tax.lesson_ids), rng.choice((0, 1, 1, 2))))
        return sources, costs, timeline, harms, lessons


@contextlib.contextmanager
def dates_as_given():
    """Let bulk_create keep our created_at / updated_at instead of stamping every row with the current time."""
    created = Incident._meta.get_field("created_at")
    updated = Incident._meta.get_field("updated_at")
    saved = created.auto_now_add, updated.auto_now
    created.auto_now_add = updated.auto_now = False
    try:
        yield
    finally:
        created.auto_now_add, updated.auto_now = saved


CHILDREN = (("sources", Source), ("costs", CostEstimate), ("timeline", TimelineEvent))


def columns(model, with_pk=False):
    return [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]


def child_rows(model, dicts):
    """COPY rows for a child table, in column order, defaults filled in."""
    fields = columns(model)
    return [tuple(d[f.attname] if f.attname in d else f.get_default() for f in fields) for d in dicts]


def write_batch(batch):
    """Insert one built batch, with everything that hangs off its cases, in one transaction."""
    cases = [built[0] for built in batch]
    with transaction.atomic():
        if connection.vendor == "postgresql":
            _copy_batch(cases, batch)
        else:
            _bulk_create_batch(cases, batch)


def _m2m_rows(batch):
    harms = [(case.pk, h) for case, *_rest, harm_ids, _lessons in batch for h in harm_ids]
    lessons = [(case.pk, x) for case, *_rest, lesson_ids in batch for x in lesson_ids]
    return harms, lessons


def _bulk_create_batch(cases, batch):
    with dates_as_given():
        Incident.objects.bulk_create(cases)
    for index, (_name, model) in enumerate(CHILDREN, start=1):
        model.objects.bulk_create(
            [model(incident_id=built[0].pk, **d) for built in batch for d in built[index]], batch_size=1000
        )
    harms, lessons = _m2m_rows(batch)
    Incident.harm_types.through.objects.bulk_create(
        [Incident.harm_types.through(incident_id=i, harmtype_id=h) for i, h in harms], batch_size=1000
    )
    Incident.lessons.through.objects.bulk_create(
        [Incident.lessons.through(incident_id=i, lesson_id=x) for i, x in lessons], batch_size=1000
    )


def _copy(cursor, model, fields, rows):
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def _copy_batch(cases, batch):
    """PostgreSQL: ids from the sequence, then COPY, several times faster than INSERT for large batches."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence('incidents_incident', 'id')) FROM generate_series(1, %s)",
            [len(cases)],
        )
        for case, (pk,) in zip(cases, cursor.fetchall(), strict=True):
            case.pk = pk
        raw = cursor.cursor  # psycopg's own cursor, for COPY
        fields = columns(Incident, with_pk=True)
        _copy(raw, Incident, fields, ([getattr(c, f.attname) for f in fields] for c in cases))
        for index, (_name, model) in enumerate(CHILDREN, start=1):
            dicts = [dict(d, incident_id=built[0].pk) for built in batch for d in built[index]]
            _copy(raw, model, columns(model), child_rows(model, dicts))
        harms, lessons = _m2m_rows(batch)
        harm_through, lesson_through = Incident.harm_types.through, Incident.lessons.through
        _copy(raw, harm_through, columns(harm_through), harms)
        _copy(raw, lesson_through, columns(lesson_through), lessons)


def generate(count, *, seed=42, companies=2000, batch_size=2000, progress=None):
    """Add `count` synthetic cases; `progress(n)` is called after each batch. Returns the number made.

    Outside a transaction on PostgreSQL, a second thread writes batch N while this one builds batch N+1
    (the database's work, mostly the search trigger, then runs on the other core). Memory holds at most
    three batches whatever the count.
    """
    taxonomy = ensure_taxonomy(companies, seed)
    # A later run with the same seed adds new cases rather than repeating the first run's.
    already = Incident.objects.filter(company__slug__startswith=SLUG_PREFIX).count()
    factory = CaseFactory(taxonomy, seed=f"cases-{seed}-{already}")
    sizes = [min(batch_size, count - start) for start in range(0, count, batch_size)]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        _pipelined(factory, sizes, progress)
    else:
        for size in sizes:
            write_batch([factory.case() for _ in range(size)])
            if progress:
                progress(size)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE incidents_incident, incidents_source, incidents_costestimate")
    return count


def _pipelined(factory, sizes, progress):
    batches = queue.Queue(maxsize=1)
    failure = []

    def writer():
        try:
            while (batch := batches.get()) is not None:
                if not failure:
                    write_batch(batch)
                    if progress:
                        progress(len(batch))
        except BaseException as error:  # reported by the main thread
            failure.append(error)
            while batches.get() is not None:  # let the producer finish
                pass
        finally:
            connection.close()

    thread = threading.Thread(target=writer, name="generate_cases-writer")
    thread.start()
    try:
        for size in sizes:
            if failure:
                break
            batches.put([factory.case() for _ in range(size)])
    finally:
        batches.put(None)
        thread.join()
    if failure:
        raise failure[0]


def synthetic_incidents():
    return Incident.objects.filter(company__slug__startswith=SLUG_PREFIX)


def delete_synthetic():
    """Remove exactly what `generate()` made: the synthetic companies' cases, the companies, the sectors.

    Plain DELETE statements: the ORM's cascade would load every row (and its history) into memory first.
    Returns the number of cases removed.
    """
    from incidents.models import Correction, IncidentImage, Tip

    ids = synthetic_incidents().values("pk")
    n_cases = synthetic_incidents().count()
    with transaction.atomic():
        Tip.objects.filter(incident__in=ids).update(incident=None)
        for model in (
            Incident.harm_types.through,
            Incident.lessons.through,
            CostEstimate,
            Source,
            TimelineEvent,
            IncidentImage,
            Correction,
            CostEstimate.history.model,
            Source.history.model,
            TimelineEvent.history.model,
            IncidentImage.history.model,
            Correction.history.model,
        ):
            model.objects.filter(incident_id__in=ids)._raw_delete(model.objects.db)
        # Only cases someone edited by hand have history; the ORM also removes its harm-type and lesson rows.
        Incident.history.model.objects.filter(id__in=ids).delete()
        synthetic_incidents()._raw_delete(Incident.objects.db)
        companies = Company.objects.filter(slug__startswith=SLUG_PREFIX)
        CompanyAlias.objects.filter(company__in=companies)._raw_delete(Company.objects.db)
        companies.filter(incidents__isnull=True)._raw_delete(Company.objects.db)
        Sector.objects.filter(slug__startswith=SLUG_PREFIX, companies__isnull=True)._raw_delete(Sector.objects.db)
    return n_cases
