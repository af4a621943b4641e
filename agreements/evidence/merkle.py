"""A Merkle tree over the chain's event hashes, in chain order, as Certificate
Transparency builds it (RFC 9162 §2.1, the same hashing as RFC 6962):

    leaf = SHA-256(0x00 || the event's hash, 32 bytes)
    node = SHA-256(0x01 || left || right)

Event n (position n, from 1) is leaf n - 1. The tree's nodes are stored as they are
completed (a node covers 2**level leaves from index * 2**level, and never changes once
all of them exist), so a root or a proof reads O(log n) stored nodes in one query and
never re-reads the chain. The proofs are RFC 9162's: PATH (§2.1.3.1) and PROOF
(§2.1.4.1); the verification functions are its §2.1.3.2 and §2.1.4.2.

No library fits: pymerkle (the maintained Python one) recomputes subtrees from the
leaves, so a proof at a million events would read half the chain; the storage here is
a table and forty lines. The tests check every root against pymerkle's.
"""

import hashlib

from django.db.models import Q

from .models import AcceptanceEvent, MerkleNode

EMPTY_ROOT = hashlib.sha256(b"").digest()
BATCH = 5000


def leaf_hash(event_hash):
    """The leaf of an event: its hash (hex) as 32 bytes, prefixed 0x00."""
    return hashlib.sha256(b"\x00" + bytes.fromhex(event_hash)).digest()


def node_hash(left, right):
    return hashlib.sha256(b"\x01" + left + right).digest()


def split(width):
    """The largest power of two below width (width > 1): where RFC 9162 splits a tree."""
    return 1 << ((width - 1).bit_length() - 1)


def stored_size():
    """How many leaves the stored tree has."""
    last = MerkleNode.objects.filter(level=0).order_by("-index").values_list("index", flat=True)
    last = last.first()
    return 0 if last is None else last + 1


def frontier_keys(size):
    """The complete subtrees a tree of `size` leaves is made of, left to right: the nodes
    still waiting for a right sibling, and the ones its root is folded from."""
    keys, offset = [], 0
    for level in reversed(range(size.bit_length())):
        if size >> level & 1:
            keys.append((level, offset >> level))
            offset += 1 << level
    return keys


def extend_tree():
    """Store the nodes of the events not yet in the tree, in batches; the new size.

    Safe to run twice at once: nodes are a function of the chain, inserted ignoring any
    already there. The chain's committed events always form a prefix (they are appended
    under its lock), so a leaf is never missing in the middle.
    """
    size = stored_size()
    frontier = {level: value for (level, _), value in fetch(frontier_keys(size)).items()}
    events = AcceptanceEvent.objects.filter(position__gt=size).order_by("position")
    rows = []
    for position, event_hash in events.values_list("position", "hash").iterator(BATCH):
        if position != size + 1:
            raise ValueError(f"The chain has a gap before position {position}.")
        rows += add_leaf(frontier, size, leaf_hash(event_hash))
        size += 1
        if len(rows) >= BATCH:
            MerkleNode.objects.bulk_create(rows, ignore_conflicts=True)
            rows = []
    MerkleNode.objects.bulk_create(rows, ignore_conflicts=True)
    return size


def add_leaf(frontier, index, node):
    """The nodes completed by leaf `index`: the leaf, and each parent it closes."""
    level, completed = 0, [MerkleNode(level=0, index=index, hash=node)]
    while index & 1:
        node = node_hash(frontier.pop(level), node)
        level, index = level + 1, index >> 1
        completed.append(MerkleNode(level=level, index=index, hash=node))
    frontier[level] = node
    return completed


def fetch(keys):
    """{(level, index): hash} of stored nodes, in one query."""
    if not keys:
        return {}
    wanted = Q()
    for level, index in set(keys):
        wanted |= Q(level=level, index=index)
    rows = MerkleNode.objects.filter(wanted).values_list("level", "index", "hash")
    return {(level, index): bytes(value) for level, index, value in rows}


def from_stored_nodes(compute):
    """Run compute(get) twice: once to learn which nodes it reads, then on those nodes
    fetched in one query. get(level, index) → the node's hash."""
    wanted = []
    compute(lambda level, index: wanted.append((level, index)) or EMPTY_ROOT)
    nodes = fetch(wanted)

    def get(level, index):
        try:
            return nodes[(level, index)]
        except KeyError:
            raise LookupError(f"The tree has no node {level}/{index} yet.") from None

    return compute(get)


def subtree(get, start, end):
    """MTH(D[start:end]) (RFC 9162 §2.1.1), from stored complete subtrees."""
    width = end - start
    if width & (width - 1) == 0:
        level = width.bit_length() - 1
        return get(level, start >> level)
    k = split(width)
    return node_hash(subtree(get, start, start + k), subtree(get, start + k, end))


def root(size):
    """The root of the tree of the first `size` events."""
    return EMPTY_ROOT if size == 0 else from_stored_nodes(lambda get: subtree(get, 0, size))


def inclusion_proof(index, size):
    """PATH(index, D[0:size]): the hashes proving leaf `index` is in the tree of `size`."""
    if not 0 <= index < size:
        raise ValueError("The leaf is not in a tree of that size.")

    def path(get, start, end):
        if end - start == 1:
            return []
        k = split(end - start)
        if index < start + k:
            return [*path(get, start, start + k), subtree(get, start + k, end)]
        return [*path(get, start + k, end), subtree(get, start, start + k)]

    return from_stored_nodes(lambda get: path(get, 0, size))


def consistency_proof(old, new):
    """PROOF(old, D[0:new]): the hashes proving the tree of `old` is a prefix of `new`'s."""
    if not 0 < old <= new:
        raise ValueError("A consistency proof needs 0 < old size <= new size.")

    def subproof(get, start, end, whole):
        if old == end:
            return [] if whole else [subtree(get, start, end)]
        k = split(end - start)
        if old - start <= k:
            return [*subproof(get, start, start + k, whole), subtree(get, start + k, end)]
        return [*subproof(get, start + k, end, False), subtree(get, start, start + k)]

    return from_stored_nodes(lambda get: subproof(get, 0, new, True))


def verify_inclusion(index, size, leaf, proof, expected_root):
    """RFC 9162 §2.1.3.2: True when `proof` takes `leaf` at `index` to `expected_root`."""
    if index >= size:
        return False
    fn, sn, result = index, size - 1, leaf
    for sibling in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            result = node_hash(result, sibling)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and result == expected_root


def verify_consistency(old, new, old_root, new_root, proof):
    """RFC 9162 §2.1.4.2: True when `proof` shows the tree of `old` is a prefix of `new`."""
    if old == new:
        return not proof and old_root == new_root
    if not 0 < old < new or not proof:
        return False
    if old & (old - 1) == 0:  # a complete subtree: its root is the proof's first node
        proof = [old_root, *proof]
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    roots = consistency_roots(fn, sn, proof)
    return roots == (old_root, new_root)


def consistency_roots(fn, sn, proof):
    """The two roots RFC 9162's consistency check computes from a proof, or None."""
    first = second = proof[0]
    for node in proof[1:]:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            first, second = node_hash(node, first), node_hash(node, second)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            second = node_hash(second, node)
        fn, sn = fn >> 1, sn >> 1
    return (first, second) if sn == 0 else None


def prefix_roots(sizes):
    """{size: root} of the chain's own hashes read in order (not the stored nodes): what
    verify_evidence compares the checkpoints with. O(n) time, O(log n) memory."""
    wanted, roots, frontier, count = set(sizes), {}, {}, 0
    if 0 in wanted:
        roots[0] = EMPTY_ROOT
    events = AcceptanceEvent.objects.order_by("position").values_list("hash", flat=True)
    for event_hash in events.iterator(BATCH):
        if count >= max(wanted, default=0):
            break
        add_leaf(frontier, count, leaf_hash(event_hash))
        count += 1
        if count in wanted:
            roots[count] = fold(frontier)
    return roots


def fold(frontier):
    """The root of a tree from its complete subtrees (smallest, rightmost, first)."""
    levels = sorted(frontier)
    result = frontier[levels[0]]
    for level in levels[1:]:
        result = node_hash(frontier[level], result)
    return result


def stored_tree_problem():
    """What is wrong with the stored tree against the chain's own hashes, or "": every
    stored node is compared with the one the events give, and no node may exist that
    the events do not give (verify_evidence). O(n) time, O(BATCH) memory."""
    frontier, completed, matched = {}, [], 0
    events = AcceptanceEvent.objects.order_by("position").values_list("hash", flat=True)
    for index, event_hash in enumerate(events.iterator(BATCH)):
        completed += add_leaf(frontier, index, leaf_hash(event_hash))
        if len(completed) >= BATCH:
            problem, count = nodes_problem(completed)
            if problem:
                return problem
            matched, completed = matched + count, []
    problem, count = nodes_problem(completed)
    if not problem and MerkleNode.objects.count() != matched + count:
        problem = "the stored Merkle tree has nodes the events do not give (a forged leaf?)"
    return problem


def nodes_problem(completed):
    """(what is wrong, how many are stored) of these nodes: a stored node must be the one
    computed; a missing one is not wrong (extend_tree adds it)."""
    by_level, stored_count = {}, 0
    for node in completed:
        by_level.setdefault(node.level, {})[node.index] = node.hash
    for level, expected in by_level.items():
        stored = MerkleNode.objects.filter(
            level=level, index__gte=min(expected), index__lte=max(expected)
        ).values_list("index", "hash")
        for index, value in stored:
            if bytes(value) != expected[index]:
                return f"the stored Merkle tree node {level}/{index} differs from the events'", 0
            stored_count += 1
    return "", stored_count
