//! JSON log lines (one object per line), filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// Installs the JSON subscriber writing to `writer`, filtered by `RUST_LOG`
/// or else `default_filter`; a second call is a no-op.
pub fn init_with<W>(writer: W, default_filter: &str)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_env_filter(filter)
        .with_writer(writer)
        .try_init();
}

/// Installs the JSON subscriber on standard error (Lambda and the local server).
pub fn init() {
    init_with(std::io::stderr, "info");
}
