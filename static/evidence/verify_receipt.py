"""Verify a KommoGEN receipt, and the checkpoints you saved.

    python3 verify_receipt.py RECEIPT.json [CHECKPOINT.txt ...]

It checks, and says in plain words what each check proves:
  1. the receipt's signature, by the site's key (published at <site>/evidence/key);
  2. every event's hash (SHA-256 of its record's RFC 8785 canonical JSON) and the links
     between consecutive events;
  3. each text's fingerprint against the site's public download of that version;
  4. that the events are in the signed checkpoint the receipt names (inclusion proofs);
  5. that the receipt's checkpoint, and every checkpoint you give, are contained in the
     site's latest checkpoint (consistency proofs): nothing they covered was changed or
     removed since.
It fetches what it needs from the site the receipt names. --offline fetches nothing
(checks 3 and 5 are skipped; give the key with --key). --key-file K --email E (the
operator, with the evidence key): says whether E is the email address in the events.

Needs Python 3 and the `cryptography` package (pip install cryptography).
Exit status: 0 when every check made verifies, 1 otherwise.
"""

import argparse
import base64
import hashlib
import hmac
import json
import sys
import unicodedata
import urllib.error
import urllib.request

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
except ImportError:
    Ed25519PublicKey = None


class Failed(Exception):
    """A check that did not verify; its message says what that means."""


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
    """(origin, tree size, root hash) of a checkpoint signed by the key."""
    lines = open_note(note, vkey).split("\n")
    try:
        root = base64.b64decode(lines[2], validate=True)
    except ValueError:
        root = b""
    if not lines[1].isdigit() or len(root) != 32:
        raise Failed("it is not a checkpoint")
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


class Verifier:
    def __init__(self, receipt, args):
        self.receipt, self.args, self.failures = receipt, args, 0
        self.site = (args.site or receipt.get("site") or "").rstrip("/")
        self.key = args.key

    def say(self, ok, message):
        print(("OK      " if ok else "FAILED  ") + message)
        self.failures += not ok

    def skip(self, message):
        print("SKIPPED " + message)

    def fetch(self, path):
        url = self.site + path
        try:
            with urllib.request.urlopen(url, timeout=30) as answer:
                return answer.read()
        except urllib.error.HTTPError as error:
            raise Failed(f"the site answered {error.code} for {url}") from None
        except OSError as error:
            raise Failed(f"could not fetch {url}: {error}") from None

    def online(self):
        return not self.args.offline and self.site

    def run(self, saved_checkpoints):
        for check in (self.signature, self.events, self.fingerprints):
            self.guarded(check)
        ours = self.guarded(self.inclusion) or []
        self.guarded(lambda: self.consistency([*ours, *saved_checkpoints]))
        if self.args.key_file and self.args.email:
            self.email()
        return 0 if self.failures == 0 else 1

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
        if not self.key and self.online():
            self.key = self.fetch("/evidence/key").decode().strip()
        if not self.key:
            raise Failed("No key to check the signature with: run online, or give --key.")
        if signature.get("key") != self.key:
            raise Failed(f"The receipt is signed with {signature.get('key')}, not the site's "
                         f"key {self.key}.")  # fmt: skip
        try:
            public_key(self.key)[2].verify(base64.b64decode(signature["value"]),
                                           canonical(self.receipt))  # fmt: skip
        except InvalidSignature:
            raise Failed("The receipt's signature does not verify: it was changed after the "
                         "site signed it.") from None  # fmt: skip
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
        """{(document, version): fingerprint} of every text the events name."""
        named = {}
        for event in self.receipt.get("events", []):
            record = event["record"]
            for text in record.get("texts") or []:
                key = (text.get("language", "en"), text["document"], text["version"])
                named[key] = text["fingerprint"]
            if not record.get("texts") and record.get("document") and record.get("fingerprint"):
                named[("en", record["document"], record["version"])] = record["fingerprint"]
        return named

    def fingerprints(self):
        if not self.online():
            self.skip("The texts' fingerprints were not compared with the site's downloads "
                      "(offline).")  # fmt: skip
            return
        for (language, document, version), fingerprint in sorted(self.texts().items()):
            prefix = "" if language == "en" else f"/{language}"
            path = f"{prefix}/{document}/v/{version}.md"
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
        return [("the receipt's checkpoint", note)]

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
            _origin, latest, latest_root = checkpoint(
                self.fetch("/evidence/checkpoint").decode(), self.key
            )
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
    args = parser.parse_args()
    if Ed25519PublicKey is None:
        sys.exit("This program needs the cryptography package: pip install cryptography")
    with open(args.receipt, encoding="utf-8") as file:
        receipt = json.load(file)
    saved = []
    for path in args.checkpoints:
        with open(path, encoding="utf-8", newline="") as file:
            saved.append((f"Your checkpoint {path}", file.read()))
    return Verifier(receipt, args).run(saved)


if __name__ == "__main__":
    sys.exit(main())
