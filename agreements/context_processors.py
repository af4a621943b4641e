"""Values every template may use."""

from django.conf import settings
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import translation


def current_agreement_number():
    """The footer's "User Agreement (version N)". Templates call it only when they show it,
    and document views pass the number they already have, so it costs no query there."""
    from .documents.languages import reading_language
    from .documents.models import Document, Version

    agreement = Version.objects.filter(document__slug=Document.Slug.AGREEMENT).only("number")
    current = agreement.filter(language=reading_language()).current()
    current = current or agreement.filter(language="en").current()
    return current.number if current else None


def languages(request):
    """The page in every language of the site: [(code, name, path, is_this_page)], for the
    switcher and the hreflang alternates: the same path under /ru/ and /vi/, except
    where a view names the equivalents (a version's number differs by language)."""
    here = translation.get_language() or settings.LANGUAGE_CODE
    known = getattr(request, "language_equivalents", {})  # set by views whose paths differ
    pages = []
    for code, name in settings.LANGUAGES:
        path = known.get(code) or same_page_in(code, request.path)
        pages.append((code, name, path, code == here))
    return pages


def same_page_in(language, path):
    """The page at path in another language, built from what the path resolves to and
    never from the path's own text: an address that resolves to nothing (a 404 such as
    //evil.com/ or /%5Cevil.com/) offers the language's home page, not another origin."""
    try:
        match = resolve(path)
    except Resolver404:
        match = None
    with translation.override(language):
        if match is not None and match.url_name:
            try:
                return reverse(match.view_name, args=match.args, kwargs=match.kwargs)
            except NoReverseMatch:
                pass
        return reverse("home")


def site(request):
    return {
        "page_languages": lambda: languages(request),
        "site_url": settings.SITE_URL,
        "operator_time_zone": settings.OPERATOR_TIME_ZONE,
        "operator_email": settings.KOMMOGEN_OPERATOR_EMAIL,
        "issuer": settings.KOMMOGEN_ISSUER,
        "issuer_address": settings.KOMMOGEN_ISSUER_ADDRESS,
        "agreement_number": current_agreement_number,
    }
