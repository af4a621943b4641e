"""The evidence's keys and its log: the HMAC key of the digests, the Ed25519 signing key,
the signer's state, the log's name and the time-stamping authority."""

import base64
import json
import os
from pathlib import Path
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .base import SITE_URL
from .environment import VAR_DIR, env_int, key_from_env_or_file

# The evidence key: the HMAC-SHA-256 key of the personal-data digests in the evidence
# chain. Kept outside the database (a dump alone cannot test a guessed phone number
# against a digest); KOMMOGEN_EVIDENCE_KEY, or var/evidence-key.
EVIDENCE_KEY = key_from_env_or_file(
    "KOMMOGEN_EVIDENCE_KEY", "KOMMOGEN_EVIDENCE_KEY_FILE", "evidence-key",
    "Generate one once and keep it with your backups "
    "(python3 -c 'import secrets; print(secrets.token_urlsafe(32))').",
    "insecure-development-evidence-key",
)  # fmt: skip

# The signing key: Ed25519, signs the evidence's checkpoints and receipts (C2SP signed
# notes). Its public half is published at /evidence/; whoever holds the private half can
# sign, so it is kept outside the database, like the evidence key. KOMMOGEN_SIGNING_KEY
# (32 random bytes, base64), or var/signing-key.
SIGNING_KEY = key_from_env_or_file(
    "KOMMOGEN_SIGNING_KEY", "KOMMOGEN_SIGNING_KEY_FILE", "signing-key",
    "Generate one once and keep it with your backups (python3 -c 'import base64, secrets; "
    "print(base64.b64encode(secrets.token_bytes(32)).decode())').",
    "aW5zZWN1cmUtZGV2ZWxvcG1lbnQtc2lnbmluZy1rZXk=",  # 32 bytes, development only
)  # fmt: skip
try:
    if len(base64.b64decode(SIGNING_KEY, validate=True)) != 32:
        raise ValueError
except ValueError:
    raise ImproperlyConfigured("KOMMOGEN_SIGNING_KEY must be 32 bytes in base64.") from None

# The signer's state: the last checkpoint it signed, kept outside the database beside the
# signing key (agreements/evidence/signed_state.py). Back it up with the key.
SIGNER_STATE_FILE = Path(
    os.environ.get("KOMMOGEN_SIGNER_STATE_FILE")
    or Path(os.environ.get("KOMMOGEN_SIGNING_KEY_FILE") or VAR_DIR / "signing-key").parent
    / "signer-state.json"
)

# The name of the evidence's transparency log: the first line of every checkpoint, and
# the signing key's name. Set KOMMOGEN_SITE_URL before the first checkpoint is made.
LOG_ORIGIN = os.environ.get("KOMMOGEN_LOG_ORIGIN") or urlsplit(SITE_URL).netloc + "/evidence"
# An RFC 3161 time-stamping authority for the checkpoints (optional), like
# http://timestamp.digicert.com; empty: no timestamps.
TSA_URL = os.environ.get("KOMMOGEN_TSA_URL", "")
# Witnesses that cosign each checkpoint (C2SP tlog-witness), as JSON: a list of
# {"name": …, "vkey": "<C2SP verifier key>", "url": "<submission prefix>"}. A checkpoint
# counts as witnessed when KOMMOGEN_WITNESS_QUORUM of them cosigned it.
try:
    WITNESSES = json.loads(os.environ.get("KOMMOGEN_WITNESSES", "") or "[]")
    assert all({"name", "vkey", "url"} <= set(w) for w in WITNESSES)
except (ValueError, TypeError, AssertionError):
    raise ImproperlyConfigured(
        'KOMMOGEN_WITNESSES must be a JSON list of {"name", "vkey", "url"}.'
    ) from None
WITNESS_QUORUM = env_int("KOMMOGEN_WITNESS_QUORUM", 1 if WITNESSES else 0)
# A git repository each checkpoint is committed to, where people read it without the site
# (agreements/evidence/anchor.py), and the local clone the signer keeps of it.
CHECKPOINT_GIT_REMOTE = os.environ.get("KOMMOGEN_CHECKPOINT_GIT_REMOTE", "")
CHECKPOINT_GIT_DIR = Path(
    os.environ.get("KOMMOGEN_CHECKPOINT_GIT_DIR") or VAR_DIR / "checkpoint-log"
)
# The authority's root certificate(s), PEM: verify_evidence then checks each timestamp's
# signature too (without it, only that each is for its checkpoint's exact text).
TSA_ROOTS = os.environ.get("KOMMOGEN_TSA_ROOTS", "")
