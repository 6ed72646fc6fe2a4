use super::*;

/// Written by `scripts/merkle_kat.py`, an independent implementation of RFC 9162's
/// recursive definitions; regenerate only together with that script.
const KAT: &str = include_str!("../../tests/fixtures/merkle_kat.txt");

fn ct_leaves() -> Vec<Vec<u8>> {
    [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]
    .iter()
    .map(|h| hex::decode(h).unwrap())
    .collect()
}

fn event_leaves() -> Vec<Vec<u8>> {
    (0..21)
        .map(|i| Sha256::digest(format!("event {i}")).to_vec())
        .collect()
}

fn tree(leaves: &[Vec<u8>]) -> MemoryTree {
    let mut t = MemoryTree::new();
    for l in leaves {
        t.push(leaf_hash(l));
    }
    t
}

fn hashes(field: Option<&str>) -> Vec<Hash> {
    field
        .filter(|f| !f.is_empty())
        .map(|f| {
            f.split(',')
                .map(|h| hex::decode(h).unwrap().try_into().unwrap())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn certificate_transparency_published_root() {
    // The root of CT's eight test inputs, as published with RFC 6962's reference code.
    assert_eq!(
        hex::encode(tree(&ct_leaves()).root()),
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"
    );
    assert_eq!(
        hex::encode(MemoryTree::new().root()),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn agrees_with_the_independent_python_answers() {
    let sets = [tree(&ct_leaves()), tree(&event_leaves())];
    let mut set = None::<usize>;
    let mut checked = 0;
    for line in KAT.lines() {
        if line.starts_with('#') {
            set = Some(set.map_or(0, |s| s + 1));
            continue;
        }
        let t = &sets[set.expect("a header first")];
        let f: Vec<&str> = line.split(' ').collect();
        let num = |i: usize| f[i].parse::<u64>().unwrap();
        match f[0] {
            "root" => {
                let n = num(1);
                assert_eq!(hex::encode(t.root_at(n).unwrap()), f[2], "{line}");
            }
            "inclusion" => {
                let (n, i) = (num(1), num(2));
                let expected = hashes(f.get(3).copied());
                assert_eq!(t.inclusion_proof(i, n).unwrap(), expected, "{line}");
                let leaf = t.get(0, i).unwrap();
                assert!(verify_inclusion(
                    i,
                    n,
                    &leaf,
                    &expected,
                    &t.root_at(n).unwrap()
                ));
            }
            "consistency" => {
                let (m, n) = (num(1), num(2));
                let expected = hashes(f.get(3).copied());
                assert_eq!(t.consistency_proof(m, n).unwrap(), expected, "{line}");
                assert!(
                    verify_consistency(
                        m,
                        n,
                        &t.root_at(m).unwrap(),
                        &t.root_at(n).unwrap(),
                        &expected
                    ),
                    "{line}"
                );
            }
            other => panic!("unknown line kind {other}"),
        }
        checked += 1;
    }
    assert!(checked > 300, "{checked} known answers");
}

#[test]
fn every_proof_of_every_small_tree_verifies_and_a_wrong_one_does_not() {
    let leaves: Vec<Vec<u8>> = (0..40u32).map(|i| i.to_be_bytes().to_vec()).collect();
    let t = tree(&leaves);
    for n in 1..=40u64 {
        let root = t.root_at(n).unwrap();
        for i in 0..n {
            let leaf = t.get(0, i).unwrap();
            let p = t.inclusion_proof(i, n).unwrap();
            assert!(verify_inclusion(i, n, &leaf, &p, &root), "{i} in {n}");
            assert!(!verify_inclusion(i, n, &leaf_hash(b"x"), &p, &root));
            if n > 1 {
                assert!(!verify_inclusion((i + 1) % n, n, &leaf, &p, &root));
            }
            if let Some(first) = p.first() {
                let mut bad = p.clone();
                bad[0] = node_hash(first, first);
                assert!(!verify_inclusion(i, n, &leaf, &bad, &root));
            }
        }
        for m in 0..=n {
            let old = t.root_at(m).unwrap();
            let p = t.consistency_proof(m, n).unwrap();
            assert!(verify_consistency(m, n, &old, &root, &p), "{m} -> {n}");
            if m > 0 && m < n {
                let other = leaf_hash(b"not the old root");
                assert!(!verify_consistency(m, n, &other, &root, &p));
                assert!(!verify_consistency(m, n, &old, &other, &p));
                assert!(!verify_consistency(m, n, &old, &root, &p[1..]));
            }
        }
    }
    assert!(t.inclusion_proof(5, 41).is_none());
    assert!(t.consistency_proof(6, 5).is_none());
    assert!(!verify_inclusion(
        3,
        3,
        &t.get(0, 0).unwrap(),
        &[],
        &t.root()
    ));
}

#[test]
fn an_append_completes_one_node_per_trailing_one_bit() {
    let t = tree(&event_leaves()[..7]);
    // Leaf 7 (binary 111) completes the leaf and levels 1, 2 and 3.
    let done = completed_by_append(&t, 7, leaf_hash(b"eighth")).unwrap();
    let levels: Vec<(u32, u64)> = done.iter().map(|(l, i, _)| (*l, *i)).collect();
    assert_eq!(levels, [(0, 7), (1, 3), (2, 1), (3, 0)]);
    let mut whole = t.clone();
    whole.push(leaf_hash(b"eighth"));
    assert_eq!(done[3].2, whole.root());
}

#[test]
fn event_leaves_are_the_hex_decoded_chain_hash() {
    let hash = "6da8119a9572aa68efab9cddc90d95c4c8f84862c93342adca197633d2a764fe";
    assert_eq!(
        event_leaf(hash),
        Some(leaf_hash(&hex::decode(hash).unwrap()))
    );
    assert_eq!(event_leaf("not hex"), None);
    assert_eq!(event_leaf(&hash[..62]), None);
}
