"""Check a KommoGEN receipt: python3 check_receipt.py receipt.json [--key-file K --email E]"""

import argparse
import hashlib
import hmac
import json
import unicodedata


def normalise_email(value):
    value = unicodedata.normalize("NFC", value.strip()).casefold()
    local, at, domain = value.rpartition("@")
    if not at:
        return value
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass
    return local + "@" + domain


parser = argparse.ArgumentParser()
parser.add_argument("receipt")
parser.add_argument("--key-file")
parser.add_argument("--email")
args = parser.parse_args()
with open(args.receipt, encoding="utf-8") as file:
    events = json.load(file)["events"]
ok = True
for event in events:
    canonical = json.dumps(
        event["record"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    same = hashlib.sha256(canonical.encode("utf-8")).hexdigest() == event["hash"]
    ok = ok and same
    print("OK    " if same else "BROKEN", event["record"]["position"], event["hash"])
if args.key_file and args.email:
    with open(args.key_file, encoding="utf-8") as file:
        key = file.read().strip().encode("utf-8")
    for event in events:
        record = event["record"]
        message = (record["subject_salt"] + ":" + normalise_email(args.email)).encode("utf-8")
        digest = hmac.new(key, message, hashlib.sha256).hexdigest()
        same = digest == record["subject_digests"].get("email")
        print("email matches" if same else "email differs", record["position"])
raise SystemExit(0 if ok else 1)
