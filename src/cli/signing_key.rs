//! The Ed25519 key that signs checkpoints. It lives outside the store (whoever can
//! rewrite the store must not also be able to sign for it): `--key FILE`, by default
//! `checkpoint.key` in the config directory, created on first use readable by its owner
//! only. The file is one line: `slawatch-checkpoint-key v1 <base64 of the 32-byte seed>`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use ed25519_dalek::SigningKey;

const TAG: &str = "slawatch-checkpoint-key v1";

/// `--key FILE`, or the default file in the config directory (`$XDG_CONFIG_HOME/slawatch`
/// on Linux).
pub fn key_path(given: Option<&Path>) -> anyhow::Result<PathBuf> {
    if let Some(p) = given {
        return Ok(p.to_path_buf());
    }
    let dirs = directories::ProjectDirs::from("", "", "slawatch").ok_or_else(|| {
        anyhow!("cannot tell where the config directory is (no home directory); pass --key FILE")
    })?;
    Ok(dirs.config_dir().join("checkpoint.key"))
}

/// The key at `path`, created there if there is no such file (saying so on stderr).
pub fn load_or_create(path: &Path) -> anyhow::Result<SigningKey> {
    match std::fs::symlink_metadata(path) {
        Ok(_) => load(path),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let key = create(path)?;
            eprintln!(
                "created a new checkpoint signing key at {} (key id {}); keep it safe, and give the key id to whoever checks your checkpoints",
                path.display(),
                crate::store::checkpoint::key_id(&key.verifying_key().to_bytes())
            );
            Ok(key)
        }
        Err(e) => Err(e).with_context(|| format!("cannot read key file {}", path.display())),
    }
}

pub fn load(path: &Path) -> anyhow::Result<SigningKey> {
    let shown = path.display();
    let meta = std::fs::metadata(path).with_context(|| format!("cannot read key file {shown}"))?;
    if !meta.is_file() {
        bail!("key file {shown} is not a regular file");
    }
    check_private(path, &meta)?;
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read key file {shown}"))?;
    let expected = format!("expected one line `{TAG} <base64 of 32 bytes>`");
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let line = lines
        .next()
        .ok_or_else(|| anyhow!("key file {shown}:1: is empty; {expected}"))?;
    let seed = line
        .trim()
        .strip_prefix(TAG)
        .and_then(|rest| B64.decode(rest.trim()).ok())
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(|| anyhow!("key file {shown}:1: not a slawatch checkpoint key; {expected}"))?;
    if lines.next().is_some() {
        bail!("key file {shown}: has more than one line; {expected}");
    }
    Ok(SigningKey::from_bytes(&seed))
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        bail!(
            "key file {} has mode {mode:04o}: others may read it, so checkpoints signed with it prove nothing; restrict it with `chmod 600 {}` (or make a new key)",
            path.display(),
            path.display()
        );
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> anyhow::Result<()> {
    Ok(())
}

/// Writes a new random key to `path`, mode 0600 from the first byte on. Written beside
/// it and linked into place, so that a concurrent first use never reads half a key:
/// whoever links second reads the winner's key instead.
fn create(path: &Path) -> anyhow::Result<SigningKey> {
    let shown = path.display();
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the directory of key file {shown}"))?;
    let mut seed = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut seed);
    let key = SigningKey::from_bytes(&seed);
    let tmp = dir.join(format!(
        ".{}.{}.tmp",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("key"),
        std::process::id()
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = private_file(&tmp)?;
        writeln!(f, "{TAG} {}", B64.encode(seed))?;
        f.sync_all()?;
        std::fs::hard_link(&tmp, path)
    })();
    let _ = std::fs::remove_file(&tmp);
    match written {
        Ok(()) => Ok(key),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => load(path),
        Err(e) => Err(e).with_context(|| format!("cannot create key file {shown}")),
    }
}

#[cfg(unix)]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
}

#[cfg(not(unix))]
fn private_file(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn a_key_is_created_private_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/checkpoint.key");
        let made = load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert_eq!(load_or_create(&path).unwrap().to_bytes(), made.to_bytes());
        assert_eq!(
            std::fs::read_dir(path.parent().unwrap()).unwrap().count(),
            1
        );
    }

    #[test]
    fn a_readable_key_or_bad_contents_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k");
        load_or_create(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = load(&path).unwrap_err().to_string();
        assert!(
            e.contains("has mode 0644") && e.contains("chmod 600"),
            "{e}"
        );
        for (bad, expected) in [
            ("", ":1: is empty"),
            ("ssh-ed25519 AAAA\n", ":1: not a slawatch checkpoint key"),
            (
                "slawatch-checkpoint-key v1 c2hvcnQ=\n",
                ":1: not a slawatch",
            ),
        ] {
            std::fs::write(&path, bad).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
            let e = load(&path).unwrap_err().to_string();
            assert!(e.contains(expected), "{e}");
            assert!(e.contains(&path.display().to_string()), "{e}");
        }
    }
}
