"""The Merkle tree over the events (RFC 9162) and the signed notes (C2SP): checked
against an independent tree (pymerkle) and against the Go reference's test vector."""

import base64

import pytest
from pymerkle import InmemoryTree

from agreements.evidence import merkle, notes
from agreements.models import AcceptanceEvent, MerkleNode

REQUESTS = 7  # 21 events: sizes that are powers of two and sizes that are not


@pytest.fixture
def events(send_request, settings):
    settings.KOMMOGEN_RATE_LIMIT = ""
    for _ in range(REQUESTS):
        assert send_request().status_code == 302
    return list(AcceptanceEvent.objects.order_by("position").values_list("hash", flat=True))


def test_every_root_is_the_one_an_independent_rfc_9162_tree_computes(events):
    assert merkle.extend_tree() == len(events)
    reference = InmemoryTree(algorithm="sha256")
    for size, event_hash in enumerate(events, start=1):
        reference.append_entry(bytes.fromhex(event_hash))
        assert merkle.root(size) == reference.get_root(size), size
    assert merkle.root(0) == merkle.EMPTY_ROOT


def test_the_tree_grows_in_steps_and_stores_each_node_once(events, send_request):
    merkle.extend_tree()
    send_request()
    size = len(events) + 3
    assert merkle.extend_tree() == size
    assert merkle.extend_tree() == size  # nothing new: nothing stored
    # Every complete subtree once: n leaves make 2n - (the number of 1 bits of n) nodes.
    assert MerkleNode.objects.count() == 2 * size - size.bit_count()
    reference = InmemoryTree(algorithm="sha256")
    for event_hash in AcceptanceEvent.objects.order_by("position").values_list("hash", flat=True):
        reference.append_entry(bytes.fromhex(event_hash))
    assert merkle.root(len(events) + 3) == reference.get_root()


def test_every_inclusion_and_consistency_proof_verifies_and_a_wrong_one_does_not(events):
    size = merkle.extend_tree()
    roots = {n: merkle.root(n) for n in range(1, size + 1)}
    for n in range(1, size + 1):
        for index in range(n):
            proof = merkle.inclusion_proof(index, n)
            leaf = merkle.leaf_hash(events[index])
            assert merkle.verify_inclusion(index, n, leaf, proof, roots[n]), (index, n)
            assert not merkle.verify_inclusion(index, n, merkle.leaf_hash("00" * 32), proof,
                                               roots[n])  # fmt: skip
            if index + 1 < n:
                assert not merkle.verify_inclusion(index + 1, n, leaf, proof, roots[n])
        for old in range(1, n + 1):
            proof = merkle.consistency_proof(old, n)
            assert merkle.verify_consistency(old, n, roots[old], roots[n], proof), (old, n)
            if old < n:
                assert not merkle.verify_consistency(old, n, roots[old], roots[old], proof)


def test_a_proof_reads_a_few_stored_nodes_in_one_query(events, django_assert_num_queries):
    size = merkle.extend_tree()
    with django_assert_num_queries(1):
        proof = merkle.inclusion_proof(5, size)
    assert len(proof) == 5  # ceil(log2(21))
    with django_assert_num_queries(1):
        merkle.consistency_proof(7, size)


def test_the_roots_read_from_the_chain_match_the_stored_tree(events):
    size = merkle.extend_tree()
    assert merkle.prefix_roots([1, 8, 13, size]) == {n: merkle.root(n) for n in (1, 8, 13, size)}


# The test vector of Go's golang.org/x/mod/sumdb/note (note_test.go), the reference
# implementation of C2SP signed notes.
GO_SIGNER = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VERIFIER = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = GO_TEXT + (
    "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdng"
    "otpRZb6KE6RyyBwJnAM=\n"
)


def test_notes_are_signed_and_opened_exactly_as_the_go_reference_does(settings):
    seed = base64.b64decode(GO_SIGNER.split("+", 4)[4])[1:]
    settings.SIGNING_KEY, settings.LOG_ORIGIN = base64.b64encode(seed).decode(), "PeterNeumann"
    notes.private_key.cache_clear()
    try:
        assert notes.verifier_key() == GO_VERIFIER
        assert notes.sign_note(GO_TEXT) == GO_NOTE
        assert notes.open_note(GO_NOTE, GO_VERIFIER) == GO_TEXT
        for forged in (GO_NOTE.replace("cryptography", "cryptographY"),
                       GO_NOTE.replace("PeterNeumann x08", "PeterNeuman x08")):  # fmt: skip
            with pytest.raises(ValueError):
                notes.open_note(forged, GO_VERIFIER)
    finally:
        notes.private_key.cache_clear()
