"""Forms: the admin's case and image forms (workflow rules, image pipeline) and the public tip form."""

from __future__ import annotations

import re
import unicodedata

from django import forms
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import MinLengthValidator, URLValidator
from django.db.models import Max
from django.forms.models import BaseInlineFormSet
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _

from incidents import images, workflow
from incidents.models import Company, CostEstimate, Incident, IncidentImage, Source, Status, TimelineEvent, Tip


def lazy_format(message, **values):
    """`message % values`, put together in the language of the page that shows it, not of the module's import
    (a help text formatted at import time stays in English on /fr/ pages)."""
    return lazy(lambda: message % values, str)()


# The admin -------------------------------------------------------------------------------------------


class IncidentAdminForm(forms.ModelForm):
    """The change form of a case; `user` is set by the admin. Statuses are those the user may choose."""

    user = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.original_status = self.instance.status if self.instance.pk else None
        if "status" in self.fields and self.user is not None:
            allowed = workflow.allowed_statuses(self.user, self.original_status)
            self.fields["status"].choices = [(value, label) for value, label in Status.choices if value in allowed]
            if not workflow.can_publish(self.user):
                self.fields["status"].help_text = _(
                    "Move the case to “In review” when it is ready: a chief editor publishes it."
                )

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status", self.instance.status)
        self.check_texts(cleaned)
        if self.user is not None:
            try:
                workflow.check_status_change(self.user, self.original_status, status)
            except workflow.WorkflowError as error:
                raise ValidationError(str(error), code="status") from error
        if status == Status.PUBLISHED:
            missing = self.publication_probe(cleaned).missing_fields_for_publication()
            if missing:
                # Not attached to "status": the status must reach the inline formsets, which check the rest.
                self.add_error(None, workflow.missing_message(missing))
        if status == Status.RETRACTED:
            column = self.retraction_column(cleaned)
            reason = cleaned.get(column, getattr(self.instance, column, "")) or ""
            if not reason.strip():
                self.add_error(
                    column if column in self.fields else None,
                    _("Say why the case is retracted: readers will see it."),
                )
        if status == Status.MERGED and not self.instance.merged_into_id:
            self.add_error("status", _("Use “Merge into another case” to merge a case."))
        return cleaned

    # What a form with a text per language (the admin's) reads differently: -----------------------------

    def check_texts(self, cleaned):
        """Texts required whatever the status (none here: the model's own fields say so)."""

    def publication_probe(self, cleaned):
        """A case built from the form, to ask what publishing it still needs."""
        return Incident(
            summary=cleaned.get("summary") or "",
            story=cleaned.get("story") or "",
            lesson=cleaned.get("lesson") or "",
            company=cleaned.get("company"),
            occurred_on=cleaned.get("occurred_on"),
            country=cleaned.get("country") or "",
        )

    def retraction_column(self, cleaned):
        return "retraction_reason"


def _remaining_forms(formset):
    """The forms of an inline formset that will exist after saving (filled in, not marked for deletion)."""
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data:
            continue
        if formset.can_delete and formset._should_delete_form(form):
            continue
        yield form


class SourceFormSet(BaseInlineFormSet):
    """A published case keeps at least one source: the check runs before anything is saved."""

    def clean(self):
        super().clean()
        if self.instance.status == Status.PUBLISHED and not any(True for _form in _remaining_forms(self)):
            raise ValidationError(workflow.missing_message([_("at least one source")]), code="publication")


class PositionedFormSet(BaseInlineFormSet):
    """A new row left at position 0 goes after the existing ones, so the saved order is the one on screen."""

    def save_new(self, form, commit=True):
        # Existing rows are saved before new ones, so the database knows every position taken so far.
        if not form.cleaned_data.get("position") and self.instance.pk:
            siblings = self.model._default_manager.filter(**{self.fk.name: self.instance})
            highest = siblings.aggregate(highest=Max("position"))["highest"]
            if highest is not None:
                form.instance.position = highest + 1
        return super().save_new(form, commit=commit)


class OrderedSourceFormSet(SourceFormSet, PositionedFormSet):
    pass


class ImageFormSet(PositionedFormSet):
    def clean(self):
        super().clean()
        if self.instance.status != Status.PUBLISHED:
            return
        for form in _remaining_forms(self):
            if not (form.cleaned_data.get("alt_text") or "").strip():
                form.add_error("alt_text", workflow.missing_message([_("alt text for every image")]))


class ImageUploadField(forms.FileField):
    widget = forms.ClearableFileInput(attrs={"accept": ",".join(m for _e, m in images.ACCEPTED_FORMATS.values())})
    default_help_text = lazy_format(
        _("JPEG, PNG or WebP, at most %(size)s MB and %(mp)s megapixels. Location data is removed."),
        size=images.MAX_UPLOAD_BYTES // 1024 // 1024,
        mp=images.MAX_PIXELS // 1_000_000,
    )

    # Runs when the module is imported, where no mutant can be switched on (docs/testing.md).
    # pragma: no mutate start
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("help_text", self.default_help_text)
        kwargs.setdefault("label", _("image"))
        super().__init__(*args, **kwargs)

    # pragma: no mutate end


class IncidentImageForm(forms.ModelForm):
    """Every uploaded image goes through `incidents.images`: checked, stripped, stored with renditions."""

    image = ImageUploadField()

    class Meta:
        model = IncidentImage
        fields = ["image", "alt_text", "caption", "credit", "position"]

    def clean_image(self):
        upload = self.cleaned_data.get("image")
        self.clean_image_data = None
        if isinstance(upload, UploadedFile):
            self.clean_image_data = images.clean_upload(upload)
            self.upload_name = upload.name
        return upload

    def save(self, commit=True):
        instance = super().save(commit=False)
        if getattr(self, "clean_image_data", None) is not None:
            images.store(instance, self.clean_image_data, self.upload_name)
        if commit:
            instance.save()
        return instance


class RetractForm(forms.Form):
    reason = forms.CharField(
        label=_("Why is this case retracted?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("Shown to readers on the case's page. Be factual."),
    )


class ReferenceField(forms.CharField):
    """A case chosen by its public reference (SC-0042) or number (42)."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        match = re.fullmatch(r"(?:SC-?)?0*(\d{1,12})", value.strip().upper())
        if not match:
            raise ValidationError(_("Type a case reference such as SC-0042."), code="invalid")
        try:
            return Incident.objects.select_related("company").get(pk=int(match.group(1)))
        except Incident.DoesNotExist as error:
            raise ValidationError(_("There is no case %(ref)s."), params={"ref": value}, code="missing") from error


class MergeForm(forms.Form):
    target = ReferenceField(
        label=_("Merge into"), help_text=_("The reference of the case that stays, e.g. SC-0042."), max_length=20
    )
    sources = forms.ModelMultipleChoiceField(
        queryset=Source.objects.none(), required=False, widget=forms.CheckboxSelectMultiple, label=_("Sources to move")
    )
    timeline = forms.ModelMultipleChoiceField(
        queryset=TimelineEvent.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Timeline events to move"),
    )
    costs = forms.ModelMultipleChoiceField(
        queryset=CostEstimate.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Costs to move"),
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, case, **kwargs):
        super().__init__(*args, **kwargs)
        self.case = case
        self.fields["sources"].queryset = case.sources.all()
        self.fields["timeline"].queryset = case.timeline.all()
        self.fields["costs"].queryset = case.costs.all()

    def clean_target(self):
        target = self.cleaned_data["target"]
        try:
            workflow.check_merge(self.case, target)
        except workflow.WorkflowError as error:
            raise ValidationError(str(error), code="merge") from error
        return target


class TipConvertForm(forms.Form):
    """The small page between a tip and its draft case: which company, and a working title."""

    company = forms.ModelChoiceField(queryset=Company.objects.all(), label=_("Company"))
    title = forms.CharField(label=_("Title of the draft"), max_length=200)
    country = forms.CharField(
        label=_("Country"),
        max_length=2,
        required=False,  # a draft may wait for it; publishing needs it
        help_text=_("ISO 3166 code where it happened, e.g. FR. A draft may leave it empty; publishing needs it."),
    )

    def __init__(self, *args, admin_site=None, **kwargs):
        super().__init__(*args, **kwargs)
        if admin_site is not None:
            field = self.fields["company"]
            field.widget = AutocompleteSelect(Incident._meta.get_field("company"), admin_site)
            field.widget.choices = field.choices

    def clean_country(self):
        country = self.cleaned_data["country"].strip().upper()
        if country and not re.fullmatch(r"[A-Z]{2}", country):
            raise ValidationError(_("Use a two-letter ISO 3166 country code, e.g. FR."))
        return country


# The public tip form ---------------------------------------------------------------------------------

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
MAX_LINKS = 10


# Characters a URL never holds unencoded (RFC 3986): a link with one is a paste gone wrong or markup.
UNSAFE_IN_URL = re.compile(r'[\s"<>\\^`{|}]')


def plain_text(value):
    """Readers' text is kept as text: normalised, without control characters; templates escape it."""
    value = unicodedata.normalize("NFC", value or "")
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return CONTROL_CHARACTERS.sub("", value).strip()


class TipForm(forms.ModelForm):
    """What a reader tells us. `website` is a honeypot: people never see it, robots fill it in."""

    website = forms.CharField(
        required=False,
        label=_("Leave this field empty"),
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = Tip
        fields = ["what_happened", "company_name", "when", "links", "contact_email"]
        labels = {
            "what_happened": _("What happened?"),
            "company_name": _("Which company?"),
            "when": _("When? (optional)"),
            "links": _("Links (optional)"),
            "contact_email": _("Your email (optional)"),
        }
        help_texts = {
            "what_happened": _("In your own words, what the company did and how it answered. Plain text only."),
            "when": _("A date, a month or a year: “March 2024” is fine."),
            "links": lazy_format(
                _("Press articles, posts, documents: one web address per line, at most %(n)s."), n=MAX_LINKS
            ),
            "contact_email": _("Only if we may ask you questions. Never published, never shared."),
        }
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 10, "maxlength": 5000}),
            "links": forms.Textarea(attrs={"rows": 4, "maxlength": 2000}),
            "contact_email": forms.EmailInput(attrs={"autocomplete": "email"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["what_happened"].validators.append(_min_length_validator(30))

    @property
    def is_robot(self):
        return bool(self.data.get("website"))

    def clean_what_happened(self):
        return plain_text(self.cleaned_data["what_happened"])

    def clean_company_name(self):
        return plain_text(self.cleaned_data["company_name"])

    def clean_when(self):
        return plain_text(self.cleaned_data["when"])

    def clean_links(self):
        lines = [line.strip() for line in plain_text(self.cleaned_data["links"]).splitlines() if line.strip()]
        if len(lines) > MAX_LINKS:
            raise ValidationError(_("At most %(n)s links, please."), params={"n": MAX_LINKS}, code="too_many")
        validate = URLValidator(schemes=["http", "https"])
        for line in lines:
            try:
                validate(line)
                if UNSAFE_IN_URL.search(line):  # URLValidator lets `https://a.org/">` through
                    raise ValidationError("")
            except ValidationError as error:
                raise ValidationError(
                    _("“%(line)s” is not a web address (it should start with https://)."),
                    params={"line": line[:100]},
                    code="invalid_link",
                ) from error
        return "\n".join(lines)


def _min_length_validator(length):
    return MinLengthValidator(length, message=_("Tell us a little more: at least %(limit_value)d characters."))
