"""Verify a KommoGEN receipt, and the checkpoints you saved.

    python3 verify_receipt.py RECEIPT.json [CHECKPOINT.txt ...]

It checks, and says in plain words what each check proves:
  1. the receipt's signature, by the site's key, which you pin: give it (--key), or it
     is saved on first use (--known-keys, like SSH's known hosts) with a loud warning,
     and every later receipt of that site must be signed by it;
  2. every event's hash (SHA-256 of its record's RFC 8785 canonical JSON) and the links
     between consecutive events;
  3. each text's fingerprint against the site's public download of that version;
  4. that the events are in the signed checkpoint the receipt names (inclusion proofs),
     and in the site's latest checkpoint (a receipt without one: in the live log);
  5. that the receipt's checkpoint, and every checkpoint you give, are contained in the
     site's latest checkpoint (consistency proofs): nothing they covered was changed or
     removed since.
It fetches what it needs from the site the receipt names. --offline fetches nothing
(checks 3 to 5 against the site are skipped; give the key with --key). --key-file K
--email E (the operator, with the evidence key): says whether E is the email address
in the events.

Files saved on Windows are read as they are: UTF-8 with or without a BOM, UTF-16 with
a BOM, CRLF line ends in a checkpoint. Anything else is refused in words.

Needs Python 3 and the `cryptography` package (pip install cryptography).
Exit status:
  0  every check was made and verifies (and the email matches, if one was given)
  1  a check FAILED: do not rely on the receipt
  2  the command was used wrongly (see --help)
  3  nothing failed, but some checks were SKIPPED (offline, or no checkpoint yet)
  4  every check verifies, but the email given differs from the events'
"""

import argparse
import base64
import hashlib
import hmac
import json
import os
import re
import sys
import unicodedata
import urllib.error
import urllib.request
from pathlib import Path

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    Ed25519PublicKey = None


def text_path(language, document, version, suffix):
    """Where the site publishes a version's text (.md) or its HTML (.html); a kept form is
    at /evidence/forms/<its fingerprint>.html."""
    prefix = "" if language == "en" else f"/{language}"
    return f"{prefix}/{document}/v/{version}.{suffix}"


def with_originals(texts):
    """The texts a record names, each followed by the English original it translates."""
    for text in texts:
        yield text
        if text.get("translates"):
            yield {**text["translates"], "document": text["document"]}


class Failed(Exception):
    """A check that did not verify; its message says what that means."""


class NotPublished(Failed):
    """The site answered 404: what was asked for does not exist (yet)."""


EXIT_OK, EXIT_FAILED, EXIT_SKIPPED, EXIT_EMAIL_DIFFERS = 0, 1, 3, 4
DECIMAL = re.compile(r"(0|[1-9][0-9]{0,18})")  # a tree size as C2SP writes it
SPLIT_VIEW = (
    "NOTE    Consistency with the site's latest checkpoint shows the log only grew as the "
    "site shows it to you; it does not exclude the site showing another log to others "
    "(a split view) unless independent witnesses cosign its checkpoints."
)


# --- Reading files as they were saved ---------------------------------------------------


def text_of(data, what):
    """The text of a saved file: UTF-8 (a BOM allowed), or UTF-16 with its BOM."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise Failed(f"{what} is not valid UTF-16 text.") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise Failed(
            f"{what} is not UTF-8 text: it was changed or saved in another encoding; "
            "download it again."
        ) from None


def no_duplicate_keys(pairs):
    keys = [key for key, _value in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise Failed(
                f"The receipt has the key {key!r} twice: the site never issues such a "
                "receipt, and two readers could see two different receipts in it."
            )
    return dict(pairs)


def read_receipt(path):
    with open(path, "rb") as file:
        text = text_of(file.read(), f"The receipt {path}")
    try:
        receipt = json.loads(text, object_pairs_hook=no_duplicate_keys)
    except ValueError as error:
        raise Failed(f"The receipt {path} is not JSON ({error}).") from None
    if not isinstance(receipt, dict):
        raise Failed(f"The receipt {path} is not a receipt (not a JSON object).")
    return receipt


def read_checkpoint(path):
    with open(path, "rb") as file:
        return text_of(file.read(), f"The checkpoint {path}").replace("\r\n", "\n")


# --- Formats: canonical JSON, signed notes (c2sp.org/signed-note), checkpoints ---------


def canonical(data):
    """RFC 8785 for these records (no numbers with fractions): sorted keys, no spaces."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def public_key(vkey):
    """(name, key ID, key) of a verifier key: name+hex(key ID)+base64(0x01 || key)."""
    if not vkey:
        raise Failed("there is no key to check it with (run online, or give --key)")
    try:
        name, key_id, encoded = vkey.strip().split("+", 2)
        raw = base64.b64decode(encoded, validate=True)
        expected = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
        if raw[:1] != b"\x01" or len(raw) != 33 or expected.hex() != key_id:
            raise ValueError
    except ValueError:
        raise Failed(f"{vkey!r} is not an Ed25519 verifier key.") from None
    return name, bytes.fromhex(key_id), Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(note, vkey):
    """The text of a signed note, if the key signed it."""
    name, key_id, key = public_key(vkey)
    text, blank, signatures = note.rpartition("\n\n")
    for line in signatures.splitlines() if blank else []:
        parts = line.split(" ")
        if len(parts) == 3 and parts[0] == "\u2014" and parts[1] == name:
            try:
                raw = base64.b64decode(parts[2], validate=True)
            except ValueError:
                continue
            if raw[:4] == key_id:
                try:
                    key.verify(raw[4:], (text + "\n").encode())
                    return text + "\n"
                except InvalidSignature:
                    raise Failed("its signature does not verify: it was changed") from None
    raise Failed("it is not signed by the site's key")


def checkpoint(note, vkey):
    """(origin, tree size, root hash) of a checkpoint signed by the key, whose origin is
    the key's name (the log's) and whose size is a canonical decimal."""
    lines = open_note(note, vkey).split("\n")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except (ValueError, IndexError):
        root = b""
    if len(lines) < 4 or not DECIMAL.fullmatch(lines[1]) or len(root) != 32:
        raise Failed("it is not a checkpoint (C2SP tlog-checkpoint)")
    if lines[0] != public_key(vkey)[0]:
        raise Failed(f"it is a checkpoint of another log ({lines[0]!r})")
    return lines[0], int(lines[1]), root


# --- The Merkle tree's proofs (RFC 9162, sections 2.1.3.2 and 2.1.4.2) ---------------


def node(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def leaf(event_hash):
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def included(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf_hash
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == root


def consistent(old, new, old_root, new_root, proof):
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    if old & (old - 1) == 0:
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    return consistency_roots(fn, sn, proof) == (old_root, new_root)


def consistency_roots(fn, sn, proof):
    first = second = proof[0]
    for hash_ in proof[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            first, second = node(hash_, first), node(hash_, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node(second, hash_)
        fn, sn = fn >> 1, sn >> 1
    return (first, second) if sn == 0 else None


# --- The checks ------------------------------------------------------------------------


def cosigns(vkey, line, body):
    """Whether line is a valid C2SP cosignature (Ed25519, type 0x04) of body by vkey."""
    name, key_hash, encoded = vkey.split("+", 2)
    raw = base64.b64decode(encoded)
    key_id = hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4]
    prefix = f"\u2014 {name} "
    if raw[:1] != b"\x04" or key_id.hex() != key_hash or not line.startswith(prefix):
        return False
    signed = base64.b64decode(line[len(prefix) :])
    if len(signed) != 76 or signed[:4] != key_id:
        return False
    timestamp = int.from_bytes(signed[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n{body}".encode()
    try:
        Ed25519PublicKey.from_public_bytes(raw[1:]).verify(signed[12:], message)
    except InvalidSignature:
        return False
    return True


class Verifier:
    def __init__(self, receipt, args):
        self.receipt, self.args = receipt, args
        self.failures = self.skipped = self.differs = 0
        self.site = (args.site or receipt.get("site") or "").rstrip("/")
        self.key = args.key
        self.latest = None  # (size, root) of the site's latest checkpoint, once fetched

    def say(self, ok, message):
        print(("OK      " if ok else "FAILED  ") + message)
        self.failures += not ok

    def skip(self, message):
        print("SKIPPED " + message)
        self.skipped += 1

    def fetch(self, path):
        url = self.site + path
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            failure = NotPublished if error.code == 404 else Failed
            raise failure(f"the site answered {error.code} for {url}") from None
        except OSError as error:
            raise Failed(f"could not fetch {url}: {error}") from None

    def online(self):
        return not self.args.offline and self.site

    def run(self, saved_checkpoints):
        for check in (self.identity, self.signature, self.events, self.fingerprints):
            self.guarded(check)
        ours = self.guarded(self.inclusion) or []
        self.guarded(self.in_latest)
        self.guarded(lambda: self.consistency([*ours, *saved_checkpoints]))
        if self.args.witness:
            self.guarded(self.witnessed)
        if self.args.key_file and self.args.email:
            self.email()
        print(SPLIT_VIEW)
        if self.failures:
            return EXIT_FAILED
        if self.skipped:
            return EXIT_SKIPPED
        return EXIT_EMAIL_DIFFERS if self.differs else EXIT_OK

    def witnessed(self):
        """At least --quorum of the --witness keys cosigned the receipt's checkpoint: the
        site did not show this log to you alone (C2SP tlog-cosignature)."""
        note = self.receipt.get("checkpoint")
        if not note or not self.online():
            self.skip("The witnesses' cosignatures were not checked (no checkpoint, or offline).")
            return
        size = int(note.split("\n")[1])
        cosigned = self.fetch(f"/evidence/checkpoints/{size}.cosigned").decode()
        body = note.split("\n\n", 1)[0] + "\n"
        lines = cosigned.splitlines()
        valid = [w for w in self.args.witness if any(cosigns(w, line, body) for line in lines)]
        quorum = self.args.quorum or len(self.args.witness)
        if len(valid) < quorum:
            raise Failed(f"Checkpoint {size} is cosigned by {len(valid)} of the witnesses you "
                         f"gave; {quorum} are needed.")  # fmt: skip
        names = ", ".join(w.split("+")[0] for w in valid)
        self.say(True, f"Checkpoint {size} is cosigned by {len(valid)} witness(es) you trust "
                       f"({names}): they saw the same log.")  # fmt: skip

    def identity(self):
        """The site and log the receipt names are the ones checked, with a pinned key."""
        named = (self.receipt.get("site") or "").rstrip("/")
        if self.args.site and named and named != self.site:
            raise Failed(f"The receipt names the site {named}, not {self.site}.")
        self.key = self.key or self.pinned_key()
        if not self.key:
            raise Failed("No key to check the signature with: give --key (offline).")
        log = self.receipt.get("log")
        if log and log != public_key(self.key)[0]:
            raise Failed(f"The receipt names the log {log!r}; the key you pinned is "
                         f"{public_key(self.key)[0]!r}'s.")  # fmt: skip

    def pinned_key(self):
        """The site's key as you saved it, or (first use) as the site shows it now."""
        path = Path(self.args.known_keys).expanduser()
        known = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip() and not line.startswith("#"):
                    site, _, key = line.strip().partition(" ")
                    known[site] = key.strip()
        if not self.online():
            return known.get(self.site)
        shown = self.fetch("/evidence/key").decode().strip()
        if self.site in known:
            if known[self.site] != shown:
                raise Failed(
                    f"The site now shows the key {shown}, not the key {known[self.site]} "
                    f"you saved in {path}: do not trust it before you know why."
                )
            return known[self.site]
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as file:
            file.write(f"{self.site} {shown}\n")
        print(
            f"WARNING First use of {self.site}: its key {shown} was taken from the site "
            f"itself and saved in {path}. Compare it with the key the operator published "
            "elsewhere (a contract, an invoice): a site that lies could show its own key."
        )
        return shown

    def guarded(self, check):
        """Run a check; a malformed receipt or answer fails it with a message, not a crash."""
        try:
            return check()
        except Failed as failure:
            self.say(False, str(failure))
        except (ValueError, KeyError, TypeError, IndexError) as error:
            self.say(False, f"Malformed data ({type(error).__name__}: {error}): the receipt "
                            "or the site's answer is not what the site issues.")  # fmt: skip
        return None

    def signature(self):
        signature = self.receipt.pop("signature", None)
        if not signature:
            raise Failed("The receipt is not signed: anyone could have written it.")
        if not self.key:
            raise Failed("No key to check the signature with: run online, or give --key.")
        if signature.get("key") != self.key:
            raise Failed(f"The receipt is signed with {signature.get('key')}, not the site's "
                         f"key {self.key}.")  # fmt: skip
        # Receipts since 2026-12 are signed after a context line (domain separation);
        # older ones over their canonical JSON alone.
        context = signature.get("context")
        signed = canonical(self.receipt)
        if context is not None:
            signed = str(context).encode() + b"\n" + signed
        try:
            public_key(self.key)[2].verify(base64.b64decode(signature["value"]), signed)
        except InvalidSignature:
            raise Failed(
                "The receipt's signature does not verify: it was changed after the site signed it."
            ) from None
        self.say(True, f"The receipt is signed by the site's key {self.key}: nothing in it "
                       "was changed since the site issued it.")  # fmt: skip

    def events(self):
        events, previous = self.receipt.get("events", []), None
        for event in events:
            record = event["record"]
            if hashlib.sha256(canonical(record)).hexdigest() != event["hash"]:
                raise Failed(f"Event {record['position']} does not hash to its recorded hash: "
                             "its record was changed.")  # fmt: skip
            if previous and record["position"] == previous["record"]["position"] + 1:
                if record["previous_hash"] != previous["hash"]:
                    raise Failed(f"Event {record['position']} does not link to the event "
                                 "before it.")  # fmt: skip
            previous = event
        self.say(True, f"Each of the {len(events)} events hashes to its recorded hash, and "
                       "consecutive events link to each other.")  # fmt: skip

    def texts(self):
        """{(language, document, version, suffix): fingerprint} of every text the events
        name: its Markdown (.md) and, where recorded, its HTML as published (.html); a
        translation's English original (which prevails) too."""
        named = {}
        for event in self.receipt.get("events", []):
            record = event["record"]
            for text in with_originals(record.get("texts") or []):
                key = (text.get("language", "en"), text["document"], text["version"])
                named[(*key, "md")] = text["fingerprint"]
                if text.get("html_fingerprint"):
                    named[(*key, "html")] = text["html_fingerprint"]
            if not record.get("texts") and record.get("document") and record.get("fingerprint"):
                named[("en", record["document"], record["version"], "md")] = record["fingerprint"]
        return named

    def fingerprints(self):
        if not self.online():
            self.skip("The texts' fingerprints were not compared with the site's downloads "
                      "(offline).")  # fmt: skip
            return
        downloads = [(text_path(*key), fingerprint) for key, fingerprint in self.texts().items()]
        forms = {e["record"].get("form_snapshot") for e in self.receipt.get("events", [])}
        downloads += [(f"/evidence/forms/{form}.html", form) for form in forms if form]
        for path, fingerprint in sorted(downloads):
            if hashlib.sha256(self.fetch(path)).hexdigest() != fingerprint:
                raise Failed(f"The text published at {self.site}{path} does not have the "
                             "fingerprint the events record.")  # fmt: skip
            self.say(True, f"The text at {self.site}{path} is the one the events record "
                           f"(SHA-256 {fingerprint}).")  # fmt: skip

    def inclusion(self):
        """Checks the inclusion proofs; the receipt's checkpoint, if it has one."""
        note = self.receipt.get("checkpoint")
        if not note:
            self.skip("The receipt names no checkpoint yet: download it again from the site "
                      "later to get the proof that its events are in the public log.")  # fmt: skip
            return []
        try:
            _origin, size, root = checkpoint(note, self.key)
        except Failed as failure:
            self.say(False, f"The receipt's checkpoint: {failure}.")
            return []
        events = {e["record"]["position"]: e["hash"] for e in self.receipt["events"]}
        for proof in self.receipt.get("inclusion_proofs", []):
            position = proof["position"]
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
            if not included(position - 1, size, leaf(events[position]), hashes, root):
                self.say(False, f"Event {position} is not in checkpoint {size}.")
                return []
        self.say(True, f"The events are in checkpoint {size}, signed by the site: the log "
                       f"held them when it had {size} events.")  # fmt: skip
        if self.online():
            self.guarded(lambda: self.timestamp(note, size))
        return [("the receipt's checkpoint", note)]

    def timestamp(self, note, size):
        """The checkpoint's RFC 3161 timestamp, if the site has one: a third party's word
        that the checkpoint existed at that time."""
        try:
            token = self.fetch(f"/evidence/checkpoints/{size}.tsr")
        except NotPublished:
            return  # the site asks no authority: nothing to check
        if hashlib.sha512(note.encode()).digest() not in token:
            raise Failed(f"The timestamp of checkpoint {size} is for another text.")
        if not self.args.tsa_roots:
            self.say(True, f"The timestamp of checkpoint {size} names its exact text "
                           "(SHA-512).")  # fmt: skip
            print(f"NOTE    Its signature by the authority: give --tsa-roots ROOT.pem, or run "
                  f"openssl ts -verify -data checkpoint.txt -in checkpoint-{size}.tsr "
                  "-CAfile ROOT.pem")  # fmt: skip
            return
        try:
            from cryptography import x509
            from rfc3161_client import VerifierBuilder, decode_timestamp_response
        except ImportError:
            raise Failed("--tsa-roots needs the rfc3161-client package.") from None
        with open(self.args.tsa_roots, "rb") as file:
            roots = x509.load_pem_x509_certificates(file.read())
        try:
            response = decode_timestamp_response(token)
            VerifierBuilder(roots=roots).build().verify_message(response, note.encode())
        except Exception as error:  # the library's errors: VerificationError, ValueError
            raise Failed(f"The timestamp of checkpoint {size} does not verify with "
                         f"{self.args.tsa_roots}: {error}") from None  # fmt: skip
        when = response.tst_info.gen_time.isoformat()
        self.say(True, f"Checkpoint {size} was timestamped at {when} by an authority that "
                       f"chains to {self.args.tsa_roots}: it existed then.")  # fmt: skip

    def latest_checkpoint(self):
        if self.latest is None:
            _origin, size, root = checkpoint(self.fetch("/evidence/checkpoint").decode(),
                                             self.key)  # fmt: skip
            self.latest = (size, root)
        return self.latest

    def in_latest(self):
        """Every event of the receipt against the site's latest checkpoint: still in the
        log it publishes now (for a receipt without a checkpoint: in the live log)."""
        if not self.online():
            self.skip("The events were not looked up in the site's latest checkpoint "
                      "(offline).")  # fmt: skip
            return
        try:
            size, root = self.latest_checkpoint()
        except NotPublished:
            self.skip("The site has published no checkpoint yet: run this again later.")
            return
        except Failed as failure:
            raise Failed(f"The site's latest checkpoint: {failure}.") from None
        events = {e["record"]["position"]: e["hash"] for e in self.receipt.get("events", [])}
        if events:
            self.events_in(events, size, root)

    def events_in(self, events, size, root):
        """{position: hash} of the receipt's events, looked up in the checkpoint of `size`."""
        newer = [position for position in events if position > size]
        if newer:
            self.skip(f"The site's latest checkpoint covers {size} events; this receipt's "
                      f"event(s) {', '.join(map(str, sorted(newer)))} are not in it yet: run "
                      "this again after the next checkpoint.")  # fmt: skip
        covered = sorted(position for position in events if position <= size)
        for position in covered:
            proof = json.loads(self.fetch(f"/evidence/proofs/inclusion/{position}/{size}"))
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
            if not included(position - 1, size, leaf(events[position]), hashes, root):
                raise Failed(f"Event {position} is NOT in the site's latest checkpoint "
                             f"({size} events): the log was rewritten.")  # fmt: skip
        if covered:
            self.say(True, f"Each event up to {covered[-1]} is in the site's latest checkpoint "
                           f"({size} events): the log the site publishes now still holds "
                           "them.")  # fmt: skip

    def consistency(self, checkpoints):
        named = []
        for label, note in checkpoints:
            try:
                named.append((label, *checkpoint(note, self.key)[1:]))
            except Failed as failure:
                self.say(False, f"{label}: {failure}.")
        if not named:
            return
        if not self.online():
            self.skip("Not compared with the site's latest checkpoint (offline).")
            return
        try:
            latest, latest_root = self.latest_checkpoint()
        except Failed as failure:
            self.say(False, f"The site's latest checkpoint: {failure}.")
            return
        for label, size, root in named:
            self.contained(label, size, root, latest, latest_root)

    def contained(self, label, size, root, latest, latest_root):
        if size > latest:
            self.say(False, f"{label} covers {size} events, but the site's latest checkpoint "
                            f"covers only {latest}: events were removed from the log.")  # fmt: skip
            return
        try:
            proof = json.loads(self.fetch(f"/evidence/proofs/consistency/{size}/{latest}"))
            hashes = [base64.b64decode(h) for h in proof["hashes"]]
        except Failed as failure:
            self.say(False, f"{label} ({size} events): no consistency proof, {failure}.")
            return
        if consistent(size, latest, root, latest_root, hashes):
            self.say(True, f"{label} ({size} events) is contained in the site's latest "
                           f"checkpoint ({latest} events): nothing it covered was changed "
                           "or removed since.")  # fmt: skip
        else:
            self.say(False, f"{label} ({size} events) is NOT contained in the site's latest "
                            f"checkpoint ({latest} events): the log was rewritten.")  # fmt: skip

    def email(self):
        with open(self.args.key_file, encoding="utf-8") as file:
            key = file.read().strip().encode("utf-8")
        email = normalise_email(self.args.email)
        for event in self.receipt.get("events", []):
            record = event["record"]
            message = (record["subject_salt"] + ":" + email).encode("utf-8")
            digest = hmac.new(key, message, hashlib.sha256).hexdigest()
            same = digest == record["subject_digests"].get("email")
            self.differs += not same
            print(f"        event {record['position']}: email "
                  + ("matches" if same else "differs"))  # fmt: skip


def normalise_email(value):
    """As the site normalises: trimmed, NFC, case-folded, the domain in ASCII (IDNA)."""
    value = unicodedata.normalize("NFC", value.strip()).casefold()
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return local + "@" + domain


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("receipt", help="the receipt's JSON, as downloaded")
    parser.add_argument("checkpoints", nargs="*", help="checkpoints you saved (text files)")
    parser.add_argument("--offline", action="store_true", help="fetch nothing")
    parser.add_argument("--key", help="the site's verifier key (else fetched from the site)")
    parser.add_argument("--site", help="the site's address (else the one the receipt names)")
    parser.add_argument("--key-file", help="the evidence key (the operator)")
    parser.add_argument("--email", help="an email address to compare with the events")
    parser.add_argument("--tsa-roots", help="the time-stamping authority's root certificates (PEM)")
    parser.add_argument(
        "--witness",
        action="append",
        default=[],
        help="a witness's verifier key you trust (repeat for each)",
    )
    parser.add_argument(
        "--quorum", type=int, default=0, help="how many of them must have cosigned (default: all)"
    )
    parser.add_argument(
        "--known-keys",
        default=os.environ.get("KOMMOGEN_KNOWN_KEYS", "~/.kommogen_known_keys"),
        help="where the sites' keys are saved on first use (default %(default)s)",
    )
    args = parser.parse_args()
    if Ed25519PublicKey is None:
        sys.exit("This program needs the cryptography package: pip install cryptography")
    try:
        receipt = read_receipt(args.receipt)
        saved = [(f"Your checkpoint {path}", read_checkpoint(path)) for path in args.checkpoints]
    except (Failed, OSError) as failure:
        print(f"FAILED  {failure}")
        return EXIT_FAILED
    return Verifier(receipt, args).run(saved)


if __name__ == "__main__":
    sys.exit(main())
