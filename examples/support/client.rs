/// A load client's `main`: its arguments (exit 2 with the problem when they are
/// wrong), then `run` on one thread (a current-thread tokio runtime, so that the
/// client takes as little CPU from the server as it can); exit 1 with `name`: why,
/// when it fails.
pub fn run_client<A, F>(name: &str, args: Result<A, String>, run: impl FnOnce(A) -> F)
where
    F: std::future::Future<Output = Result<(), String>>,
{
    let args = match args {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(2);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    if let Err(e) = runtime.block_on(run(args)) {
        eprintln!("{name}: {e}");
        std::process::exit(1);
    }
}
