"""The public pages, one room each; the current document page first (the hottest)."""

from .contact import urls as contact
from .documents import urls as documents
from .evidence import urls as evidence
from .notices import urls as notices
from .rights import urls as rights
from .withdrawal import urls as withdrawal

urlpatterns = [
    documents.current,
    *contact.urlpatterns,
    *withdrawal.urlpatterns,
    *notices.urlpatterns,
    *rights.urlpatterns,
    *evidence.urlpatterns,
    *documents.urlpatterns,
]
