#!/usr/bin/env python3
"""Known answers for slawatch's log-wide Merkle tree, computed independently of the Rust
code straight from the recursive definitions of RFC 9162 section 2.1 (MTH, PATH, PROOF).

Two leaf sets: the eight inputs of Certificate Transparency's published test vectors,
and 21 event-like leaves (32-byte chain hashes, as the store uses). Prints every root,
every inclusion proof and every consistency proof of the smaller trees, one per line:

    root N HEX
    inclusion N I HEX,HEX,...
    consistency M N HEX,HEX,...

Run: python3 scripts/merkle_kat.py > tests/fixtures/merkle_kat.txt
The Rust test src/store/merkle_tests.rs reads that file and must agree line by line.
"""
import hashlib


def sha(b):
    return hashlib.sha256(b).digest()


def mth(d):
    n = len(d)
    if n == 0:
        return sha(b"")
    if n == 1:
        return sha(b"\x00" + d[0])
    k = largest_power_of_two_below(n)
    return sha(b"\x01" + mth(d[:k]) + mth(d[k:]))


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path(m, d):
    n = len(d)
    if n == 1:
        return []
    k = largest_power_of_two_below(n)
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def subproof(m, d, b):
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, d[:k], b) + [mth(d[k:])]
    return subproof(m - k, d[k:], False) + [mth(d[:k])]


def proof(m, d):
    if m == 0 or m == len(d):
        return []
    return subproof(m, d, True)


def emit(name, leaves, proofs_up_to):
    print(f"# {name}: {len(leaves)} leaves")
    for n in range(len(leaves) + 1):
        print(f"root {n} {mth(leaves[:n]).hex()}")
    for n in range(1, proofs_up_to + 1):
        for i in range(n):
            print(f"inclusion {n} {i} {','.join(h.hex() for h in path(i, leaves[:n]))}")
    for n in range(1, proofs_up_to + 1):
        for m in range(0, n + 1):
            print(f"consistency {m} {n} {','.join(h.hex() for h in proof(m, leaves[:n]))}")


ct = [bytes.fromhex(x) for x in ["", "00", "10", "2021", "3031", "40414243",
                                 "5051525354555657", "606162636465666768696a6b6c6d6e6f"]]
events = [sha(f"event {i}".encode()) for i in range(21)]
emit("certificate transparency test inputs", ct, 8)
emit("event chain hashes sha256('event i')", events, 13)
