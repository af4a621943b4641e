"""The site's signature: an Ed25519 key (settings.SIGNING_KEY, kept outside the database)
that signs checkpoints as C2SP signed notes (c2sp.org/signed-note) and receipts as a
detached signature over their canonical JSON.

A signed note is its text (lines ending in a newline), a blank line, and one line per
signature: an em dash, the key's name, and base64 of the key's 4-byte ID followed by
the signature over the text. The verifier key, published at /evidence/, is
`name+hex(key ID)+base64(0x01 || public key)`: what Go's golang.org/x/mod/sumdb/note
and the other C2SP tools read.
"""

import base64
import hashlib
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

ED25519 = b"\x01"  # the signature type of Ed25519 in C2SP signed notes
DASH = "\u2014"  # "—", which starts every signature line


def b64(data):
    return base64.b64encode(data).decode("ascii")


@lru_cache(maxsize=1)
def private_key():
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(settings.SIGNING_KEY))


def public_bytes():
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_name():
    return settings.LOG_ORIGIN


def key_id(name, public):
    """The first 4 bytes of SHA-256(name, newline, 0x01, public key)."""
    return hashlib.sha256(name.encode() + b"\n" + ED25519 + public).digest()[:4]


def verifier_key(name=None):
    """The public key as C2SP writes it, to publish and to give to verifiers (under the
    log's name, or another name the same key signed under)."""
    name, public = name or key_name(), public_bytes()
    return f"{name}+{key_id(name, public).hex()}+{b64(ED25519 + public)}"


def sign_note(text):
    """The note: text (ending in a newline), a blank line, the site's signature line."""
    if not text.endswith("\n"):
        raise ValueError("A note's text ends with a newline.")
    name = key_name()
    signature = private_key().sign(text.encode())
    return f"{text}\n{DASH} {name} {b64(key_id(name, public_bytes()) + signature)}\n"


def parse_verifier_key(vkey):
    """(name, key ID, Ed25519PublicKey) of a verifier key; ValueError if malformed."""
    name, key_hash, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded, validate=True)
    if raw[:1] != ED25519 or len(raw) != 33 or key_id(name, raw[1:]).hex() != key_hash:
        raise ValueError("Not an Ed25519 verifier key.")
    return name, bytes.fromhex(key_hash), Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(note, vkey):
    """The text of a note signed by vkey's key; ValueError when it is not."""
    name, expected_id, public = parse_verifier_key(vkey)
    text, separator, signatures = note.rpartition("\n\n")
    if not separator or not note.endswith("\n"):
        raise ValueError("Not a signed note.")
    for line in signatures.splitlines():
        dash, signer, encoded = (line.split(" ") + ["", ""])[:3]
        raw = base64.b64decode(encoded or "", validate=True)
        if dash == DASH and signer == name and raw[:4] == expected_id:
            try:
                public.verify(raw[4:], (text + "\n").encode())
            except InvalidSignature:
                raise ValueError("The note's signature does not verify.") from None
            return text + "\n"
    raise ValueError("The note has no signature by this key.")


def sign_bytes(data):
    """A detached signature (base64) of data, by the site's key."""
    return b64(private_key().sign(data))
