"""The invitation e-mail: plain text and HTML from templates, with an absolute link."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse

from .models import CohortInvitation


def invitation_url(token: str) -> str:
    return f"{settings.SITE_URL}{reverse('cohorts:invitation', kwargs={'token': token})}"


def invitation_email(invitation: CohortInvitation, token: str) -> EmailMultiAlternatives:
    context = {
        "invitation": invitation,
        "cohort": invitation.cohort,
        "role": invitation.get_role_display().lower(),
        "inviter": invitation.invited_by.display_name if invitation.invited_by else "",
        "link": invitation_url(token),
        "site_url": settings.SITE_URL,
    }
    message = EmailMultiAlternatives(
        subject=f"{settings.ACCOUNT_EMAIL_SUBJECT_PREFIX}You are invited to {invitation.cohort.name}",
        body=render_to_string("cohorts/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    message.attach_alternative(render_to_string("cohorts/email/invitation.html", context), "text/html")
    return message
