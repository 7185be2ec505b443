"""The Merkle tree of RFC 6962: known answers from Certificate Transparency's
test vectors (transparency-dev/merkle, proof/verify_test.go), and every leaf
of every tree up to 70 leaves against the RFC's recursive definitions."""

from __future__ import annotations

import hashlib
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.store import merkle

# The eight leaves of the vectors, and the root of each tree of their first 1 to 8.
LEAVES = [bytes.fromhex(text) for text in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657")]
LEAVES.append(bytes.fromhex("606162636465666768696a6b6c6d6e6f"))
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
# (leaf index, tree size, audit path)
PATHS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
]


def hashed(data: list[bytes]) -> list[bytes]:
    return [merkle.leaf_hash(item) for item in data]


# The RFC's definitions, word for word (recursive, with slices): the slow reference.
def mth(data: list[bytes]) -> bytes:
    if not data:
        return hashlib.sha256(b"").digest()
    if len(data) == 1:
        return hashlib.sha256(b"\x00" + data[0]).digest()
    k = 1
    while k * 2 < len(data):
        k *= 2
    return hashlib.sha256(b"\x01" + mth(data[:k]) + mth(data[k:])).digest()


def rfc_path(m: int, data: list[bytes]) -> list[bytes]:
    if len(data) == 1:
        return []
    k = 1
    while k * 2 < len(data):
        k *= 2
    if m < k:
        return [*rfc_path(m, data[:k]), mth(data[k:])]
    return [*rfc_path(m - k, data[k:]), mth(data[:k])]


def test_the_root_of_each_tree_of_the_vectors_is_the_known_one() -> None:
    for size, expected in enumerate(ROOTS, start=1):
        assert merkle.root(hashed(LEAVES[:size])).hex() == expected


def test_the_root_of_no_leaves_is_the_hash_of_nothing() -> None:
    assert merkle.root([]).hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"


@pytest.mark.parametrize(("index", "size", "expected"), PATHS)
def test_the_audit_paths_of_the_vectors_are_the_known_ones(index: int, size: int, expected: list[str]) -> None:
    leaf, audit_path = merkle.path(index, size, hashed(LEAVES))

    assert leaf == merkle.leaf_hash(LEAVES[index])
    assert [sibling.hex() for sibling in audit_path] == expected
    assert merkle.root_from_path(index, size, leaf, audit_path).hex() == ROOTS[size - 1]


@pytest.mark.parametrize(("index", "size", "expected"), PATHS)
def test_a_path_of_the_vectors_altered_in_any_way_proves_nothing(index: int, size: int, expected: list[str]) -> None:
    """The corruptions transparency-dev/merkle's own tests try."""
    root = bytes.fromhex(ROOTS[size - 1])
    leaf = merkle.leaf_hash(LEAVES[index])
    good = [bytes.fromhex(text) for text in expected]
    some = bytes.fromhex("abacaba000000000000000000000000000000000000000000060061e00123456")
    wrong = [
        (index - 1, size, leaf, good),
        (index + 1, size, leaf, good),
        (index ^ 2, size, leaf, good),
        (index, size * 2, leaf, good),
        (index, size // 2, leaf, good),
        (index, size, b"WrongLeaf", good),
        (index, size, leaf, [*good, b""]),
        (index, size, leaf, [*good, root]),
        (index, size, leaf, [b"", *good]),
        (index, size, leaf, [root, *good]),
        (index, size, leaf, good[:-1]),
        (index, size, leaf, [good[0], some, *good[1:]]),
    ]
    for number in range(len(good)):
        flipped = bytearray(good[number])
        flipped[0] ^= 8
        wrong.append((index, size, leaf, [*good[:number], bytes(flipped), *good[number + 1 :]]))
    for probe in wrong:
        assert not merkle.includes(root, *probe), probe
    assert merkle.includes(root, index, size, leaf, good)
    assert not merkle.includes(merkle.EMPTY, index, size, leaf, good)
    assert not merkle.includes(some, index, size, leaf, good)


def test_every_leaf_of_every_tree_up_to_70_leaves_has_the_rfcs_path_and_proves_the_rfcs_root() -> None:
    data = [f"record {number}".encode() for number in range(70)]
    leaves = hashed(data)
    for size in range(1, 71):
        expected_root = mth(data[:size])
        assert merkle.root(leaves[:size]) == expected_root
        for index in range(size):
            leaf, audit_path = merkle.path(index, size, leaves)
            assert audit_path == rfc_path(index, data[:size]), (index, size)
            assert len(audit_path) == merkle.path_length(index, size)
            assert merkle.includes(expected_root, index, size, leaf, audit_path)
            # The same path proves no neighbour's place. (It may fit a tree of
            # another size, the same shape along its way: a seal names its size.)
            for other in (index - 1, index + 1):
                if 0 <= other < size:
                    assert not merkle.includes(expected_root, other, size, leaf, audit_path), (index, size)


@given(st.lists(st.binary(max_size=40), min_size=1, max_size=200), st.data())
def test_a_path_proves_its_own_leaf_and_no_other_data(data: list[bytes], draw: st.DataObject) -> None:
    index = draw.draw(st.integers(0, len(data) - 1))
    forged = draw.draw(st.binary(max_size=40).filter(lambda candidate: candidate != data[index]))
    root = merkle.root(hashed(data))

    leaf, audit_path = merkle.path(index, len(data), hashed(data))

    assert merkle.includes(root, index, len(data), leaf, audit_path)
    assert not merkle.includes(root, index, len(data), merkle.leaf_hash(forged), audit_path)


def test_a_path_is_of_the_first_leaves_given_when_more_follow() -> None:
    leaves = hashed(LEAVES)

    leaf, audit_path = merkle.path(2, 3, iter(leaves))

    assert merkle.root_from_path(2, 3, leaf, audit_path).hex() == ROOTS[2]


def test_a_path_refuses_a_leaf_outside_its_tree_and_a_tree_short_of_leaves() -> None:
    with pytest.raises(ValueError, match="leaf 3 is not in a tree of 3"):
        merkle.path(3, 3, hashed(LEAVES))
    with pytest.raises(ValueError, match="a tree of 9 leaves was given 8"):
        merkle.path(1, 9, hashed(LEAVES))


def test_a_path_of_the_wrong_length_or_hash_size_is_refused_in_a_sentence() -> None:
    leaf = merkle.leaf_hash(b"")
    with pytest.raises(merkle.NotIncluded, match="holds 3 hashes, not 2"):
        merkle.root_from_path(0, 8, leaf, [b"\x00" * 32] * 2)
    with pytest.raises(merkle.NotIncluded, match="every hash of an audit path is 32 bytes"):
        merkle.root_from_path(0, 2, leaf, [b"\x00" * 31])
    with pytest.raises(merkle.NotIncluded, match="leaf 0 is not in a tree of 0"):
        merkle.root_from_path(0, 0, leaf, [])


def test_a_root_over_a_million_leaves_and_a_path_in_it_are_computed_in_one_pass() -> None:
    """Iterative, not recursive with slices: a million leaves (64 MB of
    hashes were they kept) are hashed as they stream by."""
    size = 1_000_000
    began = time.perf_counter()
    leaves = (merkle.leaf_hash(number.to_bytes(4, "big")) for number in range(size))
    root = merkle.root(leaves)
    leaf, audit_path = merkle.path(size - 1, size, (merkle.leaf_hash(n.to_bytes(4, "big")) for n in range(size)))
    took = time.perf_counter() - began

    assert merkle.includes(root, size - 1, size, leaf, audit_path)
    assert len(audit_path) == merkle.path_length(size - 1, size)
    print(f"root and path over {size:,} leaves: {took:.1f} s")


def test_the_tree_held_level_by_level_gives_the_rfcs_root_and_every_path() -> None:
    for size in range(1, 71):
        leaves = [merkle.leaf_hash(bytes([n % 256, n // 256])) for n in range(size)]
        levels = merkle.Levels(leaves)
        assert levels.root() == merkle.root(leaves)
        for index in range(size):
            assert levels.path(index) == merkle.path(index, size, leaves)[1]
    assert merkle.Levels([]).root() == merkle.EMPTY
