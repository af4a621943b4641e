"""Values every template may use; no database queries here (pages stay cheap)."""

from django.conf import settings


def site(request):
    return {"site_url": settings.SITE_URL, "operator_time_zone": settings.OPERATOR_TIME_ZONE}
