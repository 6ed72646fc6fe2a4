//! Handing freed memory back to the system.

/// Returns freed heap pages to the system (glibc keeps them otherwise: after the
/// console's first snapshot that is tens of megabytes of resident memory for nothing).
pub fn trim() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        extern "C" {
            fn malloc_trim(pad: usize) -> std::ffi::c_int;
        }
        // SAFETY: malloc_trim only walks glibc's own heap bookkeeping; it takes no
        // pointers from us and is safe to call at any time.
        unsafe {
            malloc_trim(0);
        }
    }
}

/// Lets the process's threads share one malloc arena per core. glibc gives each new
/// thread an arena of its own, up to eight per core; the console's helpers (a few per
/// snapshot chunk) would each leave long-lived tickets in a different arena, and the
/// gaps between them cost tens of megabytes of resident memory. Call before starting
/// threads.
pub fn arena_per_core() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let cores = crate::ordered::cores().clamp(2, 64);
        // SAFETY: mallopt only sets a glibc tunable; later arenas follow it.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, cores as libc::c_int);
        }
    }
}
