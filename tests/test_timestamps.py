"""RFC 3161 timestamps of the checkpoints (KOMMOGEN_TSA_URL), against a local
time-stamping authority made with `openssl ts` behind a real HTTP socket."""

import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from django.core.management import CommandError, call_command
from rfc3161_client import VerifierBuilder, decode_timestamp_response

from agreements.evidence.signer import make_checkpoint
from agreements.models import Checkpoint

from .live import free_port, needs

TSA_CONFIG = """
[ req ]
distinguished_name = name
[ name ]
[ tsa_cert ]
basicConstraints = CA:FALSE
keyUsage = critical, digitalSignature
extendedKeyUsage = critical, timeStamping
[ tsa ]
default_tsa = local
[ local ]
dir = {dir}
serial = $dir/serial
signer_cert = $dir/tsa.crt
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = 1.3.6.1.4.1.99999.1
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


class LocalAuthority:
    """A CA, a TSA certificate it issued, and `openssl ts -reply` answering over HTTP."""

    def __init__(self, directory):
        self.dir, self.openssl = directory, needs("openssl")
        self.config = directory / "tsa.cnf"
        self.config.write_text(TSA_CONFIG.format(dir=directory))
        (directory / "serial").write_text("01\n")
        self.run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
                 "-subj", "/CN=Test Root")  # fmt: skip
        self.run("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-nodes", "-keyout", "tsa.key", "-out", "tsa.csr",
                 "-subj", "/CN=Test TSA")  # fmt: skip
        self.run("x509", "-req", "-in", "tsa.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                 "-CAcreateserial", "-out", "tsa.crt", "-days", "2",
                 "-extfile", "tsa.cnf", "-extensions", "tsa_cert")  # fmt: skip
        self.refuse = False

    def run(self, *args):
        result = subprocess.run([self.openssl, *args], cwd=self.dir, capture_output=True,
                                env={"OPENSSL_CONF": str(self.config)})  # fmt: skip
        assert result.returncode == 0, result.stderr.decode()
        return result.stdout

    def reply(self, query):
        (self.dir / "query.tsq").write_bytes(query)
        self.run("ts", "-reply", "-config", "tsa.cnf", "-queryfile", "query.tsq",
                 "-out", "reply.tsr")  # fmt: skip
        return (self.dir / "reply.tsr").read_bytes()

    def certificate(self, name):
        return x509.load_pem_x509_certificate((self.dir / name).read_bytes())


@pytest.fixture
def authority(tmp_path, settings):
    tsa = LocalAuthority(tmp_path)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's API)
            query = self.rfile.read(int(self.headers["Content-Length"]))
            if tsa.refuse or self.headers["Content-Type"] != "application/timestamp-query":
                self.send_error(503)
                return
            body = tsa.reply(query)
            self.send_response(200)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.TSA_URL = f"http://127.0.0.1:{server.server_address[1]}/"
    yield tsa
    server.shutdown()


def test_each_checkpoint_is_timestamped_by_the_authority_and_published_beside_it(
    send_request, authority, client, tmp_path
):
    send_request()
    checkpoint = make_checkpoint()
    answer = bytes(checkpoint.timestamp)
    response = decode_timestamp_response(answer)
    verifier = VerifierBuilder(
        roots=[authority.certificate("ca.crt")], tsa_certificate=authority.certificate("tsa.crt")
    ).build()
    assert verifier.verify_message(response, checkpoint.note.encode())
    download = client.get(f"/evidence/checkpoints/{checkpoint.tree_size}.tsr")
    assert download["Content-Type"] == "application/timestamp-reply"
    assert download.content == answer
    # And as anyone would check it, with openssl alone.
    (tmp_path / "note.txt").write_bytes(checkpoint.note.encode())
    (tmp_path / "answer.tsr").write_bytes(answer)
    verified = authority.run("ts", "-verify", "-data", str(tmp_path / "note.txt"),
                             "-in", str(tmp_path / "answer.tsr"), "-CAfile", "ca.crt",
                             "-untrusted", "tsa.crt")  # fmt: skip
    assert b"Verification: OK" in verified
    assert "RFC 3161 timestamp" in client.get("/evidence/checkpoints/").content.decode()


def test_an_authority_that_refuses_delays_no_checkpoint_and_fails_the_timer(
    send_request, authority
):
    send_request()
    authority.refuse = True
    with pytest.raises(CommandError, match="Made without a timestamp"):
        call_command("make_checkpoint")
    assert Checkpoint.objects.get().timestamp is None  # the checkpoint itself was made


def test_a_timestamp_carries_the_authoritys_certificate_and_verify_evidence_checks_it(
    send_request, authority, tmp_path, settings
):
    from .test_evidence import drop_triggers, sql

    send_request()
    checkpoint = make_checkpoint()
    response = decode_timestamp_response(bytes(checkpoint.timestamp))
    # Its certificate is in the answer: the root alone verifies it.
    assert response.signed_data.certificates
    verifier = VerifierBuilder(roots=[authority.certificate("ca.crt")]).build()
    assert verifier.verify_message(response, checkpoint.note.encode())
    settings.TSA_ROOTS = str(authority.dir / "ca.crt")
    call_command("verify_evidence")
    # Another authority's root: the timestamp does not chain to it.
    (tmp_path / "other").mkdir()
    other = LocalAuthority(tmp_path / "other")
    settings.TSA_ROOTS = str(other.dir / "ca.crt")
    with pytest.raises(CommandError, match="RFC 3161 timestamp does not verify"):
        call_command("verify_evidence")
    # A timestamp of another text, put in its place.
    settings.TSA_ROOTS = ""
    send_request(email="second@example.com")
    second = make_checkpoint()
    drop_triggers("0017_merkle_tree_and_checkpoints")
    sql("UPDATE agreements_checkpoint SET timestamp = %s WHERE tree_size = %s",
        [bytes(second.timestamp), checkpoint.tree_size])  # fmt: skip
    with pytest.raises(CommandError, match="RFC 3161 timestamp is for another text"):
        call_command("verify_evidence")


@pytest.mark.live
def test_the_standalone_verifier_checks_the_checkpoints_timestamp(
    authority, live_site_factory, server_database, tmp_path, settings
):
    from .live import fetch
    from .test_verifier import VERIFIER

    site = live_site_factory(server_database, workers=1, KOMMOGEN_TSA_URL=settings.TSA_URL)
    response = site.submit(1)
    assert site.manage("make_checkpoint").returncode == 0
    token = response.headers["Location"].rstrip("/").rsplit("/", 1)[1]
    receipt = tmp_path / "receipt.json"
    receipt.write_bytes(fetch(f"{site.url}/receipt/{token}.json").body)

    def verify(*args):
        env = {**os.environ, "KOMMOGEN_KNOWN_KEYS": str(tmp_path / "known")}
        return subprocess.run([sys.executable, VERIFIER, receipt, *args], env=env,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    plain = verify()
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert "The timestamp of checkpoint 3 names its exact text" in plain.stdout
    full = verify("--tsa-roots", authority.dir / "ca.crt")
    assert full.returncode == 0 and "Checkpoint 3 was timestamped at" in full.stdout, full.stdout
    (tmp_path / "other").mkdir()
    other = LocalAuthority(tmp_path / "other")
    wrong = verify("--tsa-roots", other.dir / "ca.crt")
    assert wrong.returncode == 1 and "does not verify with" in wrong.stdout
