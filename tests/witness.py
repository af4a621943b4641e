"""A transparency-log witness written from the C2SP specifications (tlog-witness and
tlog-cosignature), for the tests: no maintained Python witness is installable. It serves
POST /add-checkpoint on loopback, checks the log's signature, the old size and the
consistency proof, remembers the latest checkpoint it cosigned per origin, and answers
with a timestamped Ed25519 cosignature."""

import base64
import hashlib
import struct
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from agreements.evidence import merkle, notes
from agreements.evidence.witnesses import cosigned_message


class Witness:
    def __init__(self, log_vkey, name="witness.example/w1"):
        self.name, self.log_vkey = name, log_vkey
        self.private = Ed25519PrivateKey.generate()
        public = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4]
        encoded = base64.b64encode(b"\x04" + public).decode()
        self.vkey = f"{name}+{self.key_id.hex()}+{encoded}"
        self.state, self.lock, self.refused = {}, threading.Lock(), []

    def add_checkpoint(self, body):
        """(status, response text) for one request body, as the specification says."""
        head, _separator, note = body.partition("\n\n")
        lines = head.split("\n")
        if not lines[0].startswith("old "):
            return 400, "no old size\n"
        old = int(lines[0][4:])
        proof = [base64.b64decode(line) for line in lines[1:] if line]
        try:
            text = notes.open_note(note, self.log_vkey)
        except ValueError:
            return 403, "not signed by a key this witness trusts\n"
        origin, size, root = text.splitlines()[:3]
        size, root = int(size), base64.b64decode(root)
        return self.check_and_cosign(origin, old, size, root, proof, text)

    def check_and_cosign(self, origin, old, size, root, proof, text):
        with self.lock:  # checked and stored at once: no rolled-back state
            known_size, known_root = self.state.get(origin, (0, None))
            if old > size:
                return 400, "old size beyond the checkpoint\n"
            if old != known_size:
                return 409, f"{known_size}\n"
            if old == size and root != known_root:
                return 409, f"{known_size}\n"
            if 0 < old < size and not merkle.verify_consistency(old, size, known_root, root,
                                                                proof):  # fmt: skip
                self.refused.append((origin, size))
                return 422, "the consistency proof does not verify\n"
            self.state[origin] = (size, root)
        timestamp = int(time.time())
        signature = self.private.sign(cosigned_message(text, timestamp))
        raw = self.key_id + struct.pack(">Q", timestamp) + signature
        return 200, f"\u2014 {self.name} {base64.b64encode(raw).decode()}\n"

    def serve(self):
        """Start serving on a free loopback port; the submission prefix."""
        witness = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", 0))
                status, text = witness.add_checkpoint(self.rfile.read(length).decode())
                if self.path != "/add-checkpoint":
                    status, text = 404, "not found\n"
                self.send_response(status)
                kind = "text/x.tlog.size" if status == 409 else "text/plain; charset=utf-8"
                self.send_header("Content-Type", kind)
                self.end_headers()
                self.wfile.write(text.encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.server_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        return self.server_url

    def stop(self):
        self.server.shutdown()
