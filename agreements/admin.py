"""Admin, one room each: documents/, contact/, evidence/, outbox/ and withdrawal/
admin.py register their models when Django's admin imports this module."""

from .contact import admin as contact_admin  # noqa: F401
from .documents import admin as documents_admin  # noqa: F401
from .evidence import admin as evidence_admin  # noqa: F401
from .outbox import admin as outbox_admin  # noqa: F401
from .rights import admin as rights_admin  # noqa: F401
from .withdrawal import admin as withdrawal_admin  # noqa: F401
