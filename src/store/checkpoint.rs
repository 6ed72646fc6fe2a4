//! Signed checkpoints of the log-wide Merkle tree: "store S had N events with root R at
//! time T", signed with Ed25519. A checkpoint is short text that can be pasted into an
//! email or a ticket; anyone holding one can later check that the store (or an evidence
//! package) still agrees with it, without trusting the store.
//!
//! ```text
//! slawatch checkpoint v1
//! store 5f0c1d2e3a4b5c6d7e8f90a1b2c3d4e5
//! size 1175
//! root 3q2+7w3a…= (base64 of the 32-byte RFC 9162 root)
//! time 2026-12-01T21:48:08Z
//! key 1a2b3c4d5e6f7a8b MCowBQYDK2VwAyEA… (key id, base64 public key)
//! signature … (base64 Ed25519 signature of the first five lines, each ending in \n)
//! ```
//!
//! The key id is the first 8 bytes of SHA-256 of the public key, in hex: what a reader
//! compares with the key id they were given. The signature only proves who made the
//! checkpoint; what makes it evidence is that a copy is kept outside the store.

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chrono::{DateTime, SecondsFormat, Utc};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use sha2::{Digest, Sha256};

use super::merkle::Hash;

const HEADER: &str = "slawatch checkpoint v1";

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    /// The store's identity (`store_identity`), so one log's checkpoint is never
    /// taken for another's.
    pub store: String,
    pub size: u64,
    pub root: Hash,
    pub time: DateTime<Utc>,
    pub public_key: [u8; 32],
    pub signature: [u8; 64],
}

/// Why a checkpoint's text cannot be read; `line` is 1-based.
#[derive(Debug, thiserror::Error)]
#[error("{source_name}:{line}: {what}")]
pub struct ParseError {
    pub source_name: String,
    pub line: usize,
    pub what: String,
}

pub fn key_id(public_key: &[u8; 32]) -> String {
    hex::encode(&Sha256::digest(public_key)[..8])
}

impl Checkpoint {
    pub fn sign(
        store: &str,
        size: u64,
        root: Hash,
        time: DateTime<Utc>,
        key: &SigningKey,
    ) -> Checkpoint {
        let mut cp = Checkpoint {
            store: store.to_owned(),
            size,
            root,
            time: DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time),
            public_key: key.verifying_key().to_bytes(),
            signature: [0; 64],
        };
        cp.signature = key.sign(cp.body().as_bytes()).to_bytes();
        cp
    }

    /// The signed part: the first five lines of the text form.
    pub fn body(&self) -> String {
        format!(
            "{HEADER}\nstore {}\nsize {}\nroot {}\ntime {}\n",
            self.store,
            self.size,
            B64.encode(self.root),
            self.time.to_rfc3339_opts(SecondsFormat::Secs, true)
        )
    }

    pub fn key_id(&self) -> String {
        key_id(&self.public_key)
    }

    pub fn root_base64(&self) -> String {
        B64.encode(self.root)
    }

    pub fn to_text(&self) -> String {
        format!(
            "{}key {} {}\nsignature {}\n",
            self.body(),
            self.key_id(),
            B64.encode(self.public_key),
            B64.encode(self.signature)
        )
    }

    /// Whether the signature is the named key's over the body.
    pub fn signature_ok(&self) -> bool {
        let Ok(key) = VerifyingKey::from_bytes(&self.public_key) else {
            return false;
        };
        key.verify(
            self.body().as_bytes(),
            &Signature::from_bytes(&self.signature),
        )
        .is_ok()
    }

    /// Reads the text form; `source_name` (a file name, "the store's checkpoint 3")
    /// names where it came from in errors. Blank lines around it are allowed, so a
    /// checkpoint pasted into an email with its quoting stripped still reads; a bad
    /// signature is not a parse error (see [`Checkpoint::signature_ok`]).
    pub fn parse(text: &str, source_name: &str) -> Result<Checkpoint, ParseError> {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty())
            .collect();
        let err = |line: usize, what: String| ParseError {
            source_name: source_name.to_owned(),
            line,
            what,
        };
        let last_line = text.lines().count().max(1);
        let mut it = lines.into_iter();
        let mut field = |name: &str| -> Result<(usize, String), ParseError> {
            let (n, l) = it.next().ok_or_else(|| {
                err(
                    last_line,
                    format!("ends early: expected a `{name} …` line next"),
                )
            })?;
            match l.strip_prefix(name).and_then(|r| r.strip_prefix(' ')) {
                Some(v) => Ok((n, v.trim().to_owned())),
                None => Err(err(n, format!("expected `{name} …`, found {l:?}"))),
            }
        };
        let (n, version) = field("slawatch checkpoint")?;
        if version != "v1" {
            return Err(err(
                n,
                format!("checkpoint format {version:?}; this slawatch reads v1"),
            ));
        }
        let (n, store) = field("store")?;
        if store.is_empty() || !store.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(err(n, format!("store id {store:?} is not hex")));
        }
        let (n, size) = field("size")?;
        let size: u64 = size
            .parse()
            .map_err(|_| err(n, format!("size {size:?} is not a whole number")))?;
        let (n, root) = field("root")?;
        let root: Hash = decode_fixed(&root)
            .ok_or_else(|| err(n, format!("root {root:?} is not the base64 of 32 bytes")))?;
        let (n, time) = field("time")?;
        let time = DateTime::parse_from_rfc3339(&time)
            .map_err(|e| err(n, format!("time {time:?} is not RFC 3339: {e}")))?
            .with_timezone(&Utc);
        let (n, key) = field("key")?;
        let (id, public) = key
            .split_once(' ')
            .ok_or_else(|| err(n, "expected `key KEYID PUBLICKEY`".into()))?;
        let public_key: [u8; 32] = decode_fixed(public.trim()).ok_or_else(|| {
            err(
                n,
                format!("public key {public:?} is not the base64 of 32 bytes"),
            )
        })?;
        if key_id(&public_key) != id {
            return Err(err(
                n,
                format!(
                    "key id {id} is not that of the public key given (which is {})",
                    key_id(&public_key)
                ),
            ));
        }
        let (n, sig) = field("signature")?;
        let signature: [u8; 64] = decode_fixed(&sig).ok_or_else(|| {
            err(
                n,
                format!("signature {sig:?} is not the base64 of 64 bytes"),
            )
        })?;
        if let Some((n, l)) = it.next() {
            return Err(err(
                n,
                format!("unexpected line after the signature: {l:?}"),
            ));
        }
        Ok(Checkpoint {
            store,
            size,
            root,
            time,
            public_key,
            signature,
        })
    }
}

fn decode_fixed<const N: usize>(text: &str) -> Option<[u8; N]> {
    B64.decode(text).ok()?.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn key() -> SigningKey {
        SigningKey::from_bytes(&[7; 32])
    }

    fn sample() -> Checkpoint {
        let t = Utc.with_ymd_and_hms(2026, 12, 1, 21, 48, 8).unwrap();
        Checkpoint::sign("5f0c1d2e", 1175, [9; 32], t, &key())
    }

    #[test]
    fn text_form_round_trips_and_verifies() {
        let cp = sample();
        let text = cp.to_text();
        assert_eq!(text.lines().count(), 7);
        assert!(text.starts_with("slawatch checkpoint v1\nstore 5f0c1d2e\nsize 1175\n"));
        let back = Checkpoint::parse(&format!("\n{text}\n"), "cp").unwrap();
        assert_eq!(back, cp);
        assert!(back.signature_ok());
    }

    #[test]
    fn any_change_to_the_signed_lines_breaks_the_signature() {
        let text = sample().to_text();
        let forged = text.replace("size 1175", "size 1174");
        let cp = Checkpoint::parse(&forged, "cp").unwrap();
        assert!(!cp.signature_ok());
    }

    #[test]
    fn bad_text_is_refused_with_its_line() {
        let text = sample().to_text();
        let cases = [
            (
                text.replace("size 1175", "size many"),
                "cp:3: size \"many\"",
            ),
            (text.replace("root ", "root x"), "cp:4: root"),
            (text.replace("time 2026", "time 20x6"), "cp:5: time"),
            (text.replace("v1", "v9"), "cp:1: checkpoint format \"v9\""),
            (text.replace("store ", "shop "), "cp:2: expected `store …`"),
            (
                text.lines().take(5).collect::<Vec<_>>().join("\n"),
                "cp:5: ends early",
            ),
            (format!("{text}extra\n"), "cp:8: unexpected line"),
        ];
        for (bad, expected) in cases {
            let e = Checkpoint::parse(&bad, "cp").unwrap_err().to_string();
            assert!(e.starts_with(expected), "{e} (wanted {expected})");
        }
        let other_id = text.replace(&sample().key_id(), "0000000000000000");
        let e = Checkpoint::parse(&other_id, "cp").unwrap_err().to_string();
        assert!(
            e.contains("cp:6: key id 0000000000000000 is not that of"),
            "{e}"
        );
    }
}
