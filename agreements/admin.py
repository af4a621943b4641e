"""Admin, one room each: documents/admin.py, contact/admin.py, evidence/admin.py and
withdrawal/admin.py register their models when Django's admin imports this module."""

from .contact import admin as contact_admin  # noqa: F401
from .documents import admin as documents_admin  # noqa: F401
from .evidence import admin as evidence_admin  # noqa: F401
from .withdrawal import admin as withdrawal_admin  # noqa: F401
