"""Fairness on the record: a company's right of reply to a case, and the promises it made in it.

Models of the `incidents` app (imported by incidents/models.py), kept here beside what they mean to a newsroom.
A case records whether and when the company was asked for comment, through which channel, and its reply
(verbatim, dated, sourced) or its silence; and each public commitment the company made ("we will change our
policy"), dated, with whether and when it was kept.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReplyStatus(models.TextChoices):
    REPLIED = "replied", _("Replied")
    DECLINED = "declined", _("Declined to comment")
    NO_REPLY = "no_reply", _("No reply")


class RightOfReply(models.Model):
    """Whether the company was asked for comment on the case, and what it answered (at most one per case)."""

    incident = models.OneToOneField(
        "incidents.Incident", on_delete=models.CASCADE, related_name="reply", verbose_name=_("case")
    )
    requested_on = models.DateField(_("asked on"), null=True, blank=True)
    requested_by = models.CharField(
        _("asked by"), max_length=200, blank=True, help_text=_("Who asked: this newsroom, or the outlet that did.")
    )
    channel = models.CharField(
        _("channel"), max_length=100, blank=True, help_text=_("Email, telephone, press office...")
    )
    status = models.CharField(_("answer"), max_length=10, choices=ReplyStatus.choices, default=ReplyStatus.NO_REPLY)
    text = models.TextField(
        _("reply"), blank=True, help_text=_("The reply, verbatim and in its own language when it is quoted.")
    )
    replied_on = models.DateField(_("replied on"), null=True, blank=True)
    source = models.ForeignKey(
        "incidents.Source", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("source")
    )

    class Meta:
        verbose_name = _("right of reply")
        verbose_name_plural = _("right of reply")

    def __str__(self):
        return f"{self.get_status_display()} ({self.requested_on or '?'})"


class PromiseOutcome(models.TextChoices):
    PENDING = "pending", _("Not yet known")
    KEPT = "kept", _("Kept")
    PARTLY = "partly", _("Partly kept")
    BROKEN = "broken", _("Broken")


class Promise(models.Model):
    """A public commitment the company made in a case, and what became of it."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="promises", verbose_name=_("case")
    )
    text = models.CharField(_("promise"), max_length=500, help_text=_("What the company said it would do."))
    made_on = models.DateField(_("made on"), null=True, blank=True)
    outcome = models.CharField(
        _("outcome"), max_length=10, choices=PromiseOutcome.choices, default=PromiseOutcome.PENDING
    )
    checked_on = models.DateField(
        _("outcome known on"), null=True, blank=True, help_text=_("When it was kept, or found broken.")
    )
    source = models.ForeignKey(
        "incidents.Source", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("source")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["position", "made_on", "id"]
        verbose_name = _("promise")
        verbose_name_plural = _("promises")

    def __str__(self):
        return self.text[:80]
