"""Values every template may use."""

from django.conf import settings


def current_agreement_number():
    """The footer's "User Agreement (version N)". Templates call it only when they show it,
    and document views pass the number they already have, so it costs no query there."""
    from .documents.models import Document, Version

    agreement = Version.objects.filter(document__slug=Document.Slug.AGREEMENT)
    current = agreement.only("number").current()
    return current.number if current else None


def site(request):
    return {
        "site_url": settings.SITE_URL,
        "operator_time_zone": settings.OPERATOR_TIME_ZONE,
        "operator_email": settings.KOMMOGEN_OPERATOR_EMAIL,
        "agreement_number": current_agreement_number,
    }
