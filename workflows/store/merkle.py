"""The Merkle tree of RFC 6962 (section 2.1, as Certificate Transparency
uses it) over the log's records: its root goes into each seal, and one
record's audit path proves it is in the sealed record to someone who holds
neither the store nor any other record.

A leaf's hash is SHA-256(0x00 || bytes), a node's SHA-256(0x01 || left ||
right); a tree of n leaves splits at the largest power of two smaller than
n, so it need not be a complete binary tree. Everything is computed
iteratively: a million leaves take seconds, and no recursion goes deep.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterable, Sequence

LEAF, NODE = b"\x00", b"\x01"
SIZE = 32  # bytes of a SHA-256 digest
EMPTY = hashlib.sha256(b"").digest()  # the root of a tree of no leaves


class NotIncluded(ValueError):
    """An audit path that does not lead from its leaf to the root."""


def leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(LEAF + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(NODE + left + right).digest()


def split(n: int) -> int:
    """The largest power of two smaller than n (n > 1): where RFC 6962 splits a tree of n leaves."""
    return 1 << ((n - 1).bit_length() - 1)


class Tree:
    """A Merkle Tree Hash computed as leaves arrive: a stack of the perfect
    subtrees so far (their sizes strictly decreasing powers of two), merged
    as each fills, then folded from the right, which is the RFC's recursive
    definition unrolled. Memory: one hash a level."""

    def __init__(self) -> None:
        self.stack: list[tuple[bytes, int]] = []
        self.size = 0

    def add(self, leaf: bytes) -> None:
        top, size = leaf, 1
        while self.stack and self.stack[-1][1] == size:
            left, _ = self.stack.pop()
            top, size = node_hash(left, top), size * 2
        self.stack.append((top, size))
        self.size += 1

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY
        top = self.stack[-1][0]
        for left, _ in reversed(self.stack[:-1]):
            top = node_hash(left, top)
        return top


def root(leaves: Iterable[bytes]) -> bytes:
    """The Merkle Tree Hash (RFC 6962 MTH) of these leaf hashes."""
    tree = Tree()
    for leaf in leaves:
        tree.add(leaf)
    return tree.root()


def siblings(index: int, size: int) -> list[tuple[int, int]]:
    """The leaves (start, end) of each subtree on the audit path of leaf
    `index` in a tree of `size`, from the leaf up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    ranges: list[tuple[int, int]] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + split(end - start)
        if index < middle:
            ranges.append((middle, end))
            end = middle
        else:
            ranges.append((start, middle))
            start = middle
    return ranges[::-1]


def path(index: int, size: int, leaves: Iterable[bytes]) -> tuple[bytes, list[bytes]]:
    """Leaf `index`'s hash and its audit path (RFC 6962 PATH, the sibling
    subtrees' hashes from the leaf up) in the tree of the first `size` of
    these leaf hashes, read in one pass: the siblings and the leaf cover
    the tree, each a run of leaves, so each is hashed as its leaves pass."""
    ranges = siblings(index, size)
    trees = {start: Tree() for start, _ in ranges}
    leaf: bytes | None = None
    current: Tree | None = None
    taken = 0
    for hashed in itertools.islice(leaves, size):
        if taken == index:
            leaf = hashed
        else:
            # A sibling's run begins here, or the current one goes on.
            current = trees.get(taken, current)
            assert current is not None
            current.add(hashed)
        taken += 1
    if taken < size:
        raise ValueError(f"a tree of {size} leaves was given {taken}")
    assert leaf is not None
    return leaf, [trees[start].root() for start, _ in ranges]


def path_length(index: int, size: int) -> int:
    """How many hashes the audit path of leaf `index` in a tree of `size` holds."""
    length = 0
    while size > 1:
        half = split(size)
        index, size = (index, half) if index < half else (index - half, size - half)
        length += 1
    return length


def root_from_path(index: int, size: int, leaf: bytes, audit_path: Sequence[bytes]) -> bytes:
    """The root an audit path leads to from its leaf (RFC 9162 2.1.3.2, the
    verification of RFC 6962's paths); NotIncluded if the path cannot be one
    of leaf `index` in a tree of `size`."""
    if not 0 <= index < size:
        raise NotIncluded(f"leaf {index} is not in a tree of {size}")
    if len(audit_path) != path_length(index, size):
        raise NotIncluded(
            f"an audit path of leaf {index} in a tree of {size} holds {path_length(index, size)} hashes, "
            f"not {len(audit_path)}"
        )
    if any(len(sibling) != SIZE for sibling in audit_path):
        raise NotIncluded(f"every hash of an audit path is {SIZE} bytes")
    fn, sn, hashed = index, size - 1, leaf
    for sibling in audit_path:
        if fn & 1 or fn == sn:
            hashed = node_hash(sibling, hashed)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            hashed = node_hash(hashed, sibling)
        fn, sn = fn >> 1, sn >> 1
    # The length was checked above: the walk ends at the root.
    assert sn == 0, (index, size)
    return hashed


def includes(root_hash: bytes, index: int, size: int, leaf: bytes, audit_path: Sequence[bytes]) -> bool:
    """Whether the audit path proves the leaf at `index` in the tree of `size` whose root is `root_hash`."""
    try:
        return root_from_path(index, size, leaf, audit_path) == root_hash
    except NotIncluded:
        return False


class Levels:
    """The whole tree over leaves held in memory, level by level, for many
    audit paths at once: each level pairs the one below, its odd last node
    carried up unpaired, which is RFC 6962's tree built from the leaves up
    (its split at the largest power of two below n is where such pairing
    leaves the carried node). Memory: about two hashes a leaf."""

    def __init__(self, leaves: Sequence[bytes]) -> None:
        self.levels: list[Sequence[bytes]] = [leaves]
        while len(below := self.levels[-1]) > 1:
            above = [node_hash(below[at], below[at + 1]) for at in range(0, len(below) - 1, 2)]
            if len(below) % 2:
                above.append(below[-1])
            self.levels.append(above)

    def root(self) -> bytes:
        return self.levels[-1][0] if self.levels[0] else EMPTY

    def path(self, index: int) -> list[bytes]:
        """Leaf `index`'s audit path (RFC 6962 PATH), from the leaf up."""
        if not 0 <= index < len(self.levels[0]):
            raise ValueError(f"leaf {index} is not in a tree of {len(self.levels[0])}")
        found = []
        for level in self.levels[:-1]:
            if (sibling := index ^ 1) < len(level):
                found.append(level[sibling])
            index //= 2
        return found
