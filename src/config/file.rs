//! Reading a configuration file from disk: only a regular file, and only up to a cap.
//!
//! A path may name anything: `/dev/zero` would be read forever, a FIFO would block the
//! reader (the CLI, or the console at start) until someone writes to it. The file is
//! opened without blocking, checked on the opened handle (so it cannot be swapped
//! between a check and the read), and read through a limit one byte past the cap, so
//! that even a file that grows while it is read stops at the cap.

use std::fs::{File, OpenOptions};
use std::io::{self, Read};
use std::path::Path;

/// The largest configuration or holiday file read: 4 MiB, far above any real one
/// (a government's iCalendar of a century of holidays is a few hundred KiB).
pub const MAX_CONFIG_BYTES: u64 = 4 * 1024 * 1024;

/// The text of the regular file at `path`, at most [`MAX_CONFIG_BYTES`] long. A missing
/// file keeps its `NotFound` kind, so that callers can treat an optional file as absent.
pub fn read_text(path: &Path) -> io::Result<String> {
    read_text_capped(path, MAX_CONFIG_BYTES)
}

fn read_text_capped(path: &Path, cap: u64) -> io::Result<String> {
    let bytes = read_regular_capped(path, cap)?;
    String::from_utf8(bytes).map_err(|e| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "not UTF-8 text (invalid byte at offset {})",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// The bytes of the regular file at `path`, refused when longer than `cap`: what any
/// file named by an outsider (a configuration, an evidence package) is read through.
pub fn read_regular_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = open_without_blocking(path)?;
    let kind = file.metadata()?.file_type();
    if !kind.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("not a regular file but {}", describe(&kind)),
        ));
    }
    let mut bytes = Vec::new();
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "larger than {} KiB, the most slawatch reads from such a file",
                cap / 1024
            ),
        ));
    }
    Ok(bytes)
}

#[cfg(unix)]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting.
    OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_without_blocking(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).open(path)
}

fn describe(kind: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    if kind.is_dir() {
        "a directory"
    } else {
        "a special file"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_up_to_the_cap_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("c.toml");
        std::fs::write(&p, "abcd").unwrap();
        assert_eq!(read_text_capped(&p, 4).unwrap(), "abcd");
        let err = read_text_capped(&p, 3).unwrap_err().to_string();
        assert!(err.contains("larger than 0 KiB"), "{err}");
        let missing = read_text(&dir.path().join("nope.toml")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }

    #[test]
    fn devices_directories_and_bad_text_are_refused() {
        let err = read_text(Path::new("/dev/zero")).unwrap_err().to_string();
        assert!(
            err.contains("not a regular file but a character device"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = read_text(dir.path()).unwrap_err().to_string();
        assert!(err.contains("not a regular file but a directory"), "{err}");
        let p = dir.path().join("bin.ics");
        std::fs::write(&p, b"ok\xff").unwrap();
        let err = read_text(&p).unwrap_err().to_string();
        assert!(
            err.contains("not UTF-8 text (invalid byte at offset 2)"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_refused_without_waiting_for_a_writer() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("fifo.ics");
        let status = std::process::Command::new("mkfifo")
            .arg(&p)
            .status()
            .unwrap();
        assert!(status.success());
        // Without O_NONBLOCK this open would wait for a writer forever.
        let err = read_text(&p).unwrap_err().to_string();
        assert!(
            err.contains("not a regular file but a FIFO (named pipe)"),
            "{err}"
        );
    }
}
