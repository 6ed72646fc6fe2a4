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
