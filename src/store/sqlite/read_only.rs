//! Opening a store only to read it, whatever the caller may not write.
//!
//! A WAL-mode SQLite file is normally read through its `-shm` index, which the reader
//! creates next to the file when it is missing. A reader who may write neither the file
//! nor its directory cannot create it, and SQLite then refuses even to read. When no
//! `-wal` file exists every committed transaction is in the main file, so reading that
//! file as it is (SQLite's `immutable` mode, without locks) sees the whole log.

use std::path::{Path, PathBuf};

use crate::store::StoreError;

/// Why `path` cannot be a store to read, before SQLite is asked: missing, not a
/// regular file, or empty (SQLite would take an empty file for a new database).
pub(super) fn check_file(path: &Path) -> Result<(), StoreError> {
    let not_a_store = |why: &str| StoreError::NotAStore {
        path: path.to_path_buf(),
        why: why.to_owned(),
    };
    match std::fs::metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(not_a_store("no such file")),
        Err(e) => Err(not_a_store(&format!("cannot read its metadata: {e}"))),
        Ok(m) if !m.is_file() => Err(not_a_store("not a regular file")),
        Ok(m) if m.len() == 0 => Err(not_a_store(
            "the file is empty (0 bytes); `slawatch import` or `slawatch demo` makes a store in it",
        )),
        Ok(_) => Ok(()),
    }
}

/// The `-wal` file SQLite keeps next to `path`.
fn wal_of(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push("-wal");
    PathBuf::from(name)
}

/// Whether the file may be read without its lock files: nothing is waiting in a WAL.
pub(super) fn whole_in_main_file(path: &Path) -> bool {
    std::fs::metadata(wal_of(path)).map_or(true, |m| m.len() == 0)
}

/// What to say when the lock files cannot be made and a WAL holds committed events
/// that only a reader with the index may see.
pub(super) fn unreadable_wal(path: &Path) -> StoreError {
    StoreError::NotReadable {
        path: path.to_path_buf(),
        why: format!(
            "recent writes are still in {} and reading them needs to create the index file \
             next to it, which this user may not do in that directory; run `slawatch --db {} \
             verify --rebuild-projection` once as a user who can write the directory (its \
             writer folds the WAL into the store when it closes)",
            wal_of(path).display(),
            path.display()
        ),
    }
}

/// An SQLite URI that opens `path` read-only as an immutable file.
pub(super) fn immutable_uri(path: &Path) -> Result<String, StoreError> {
    let absolute = std::path::absolute(path).map_err(|e| StoreError::NotReadable {
        path: path.to_path_buf(),
        why: format!("cannot resolve its absolute path: {e}"),
    })?;
    let text = absolute.to_str().ok_or_else(|| StoreError::NotReadable {
        path: path.to_path_buf(),
        why: "its path is not UTF-8, which an SQLite URI needs".into(),
    })?;
    Ok(format!("file:{}?mode=ro&immutable=1", percent_encode(text)))
}

/// Every byte but unreserved ones and `/` as `%XX` (RFC 3986), so `?`, `#` and `%` in
/// a file name stay part of the name.
fn percent_encode(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_keeps_odd_names_whole() {
        assert_eq!(percent_encode("/a b/c?d#e%f.db"), "/a%20b/c%3Fd%23e%25f.db");
        assert_eq!(percent_encode("/x/é"), "/x/%C3%A9");
        let uri = immutable_uri(Path::new("/tmp/s.db")).unwrap();
        assert_eq!(uri, "file:/tmp/s.db?mode=ro&immutable=1");
    }

    #[test]
    fn empty_and_special_files_are_named_as_such() {
        let dir = tempfile::tempdir().unwrap();
        let empty = dir.path().join("empty.db");
        std::fs::write(&empty, b"").unwrap();
        let e = check_file(&empty).unwrap_err().to_string();
        assert!(
            e.contains("empty.db is not a slawatch store (the file is empty (0 bytes)"),
            "{e}"
        );
        let e = check_file(dir.path()).unwrap_err().to_string();
        assert!(
            e.ends_with("is not a slawatch store (not a regular file)"),
            "{e}"
        );
        let e = check_file(&dir.path().join("none.db"))
            .unwrap_err()
            .to_string();
        assert!(
            e.ends_with("none.db is not a slawatch store (no such file)"),
            "{e}"
        );
    }
}
