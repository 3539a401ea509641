//! JSON log lines (one object per line), filtered by `RUST_LOG` (default `info`).

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

fn filter() -> EnvFilter {
    EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"))
}

/// Installs the JSON subscriber writing to `writer`; a second call is a no-op.
pub fn init_with<W>(writer: W)
where
    W: for<'a> MakeWriter<'a> + Send + Sync + 'static,
{
    let _ = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(true)
        .with_span_list(false)
        .with_target(true)
        .with_env_filter(filter())
        .with_writer(writer)
        .try_init();
}

/// Installs the JSON subscriber on standard error (Lambda and the local server).
pub fn init() {
    init_with(std::io::stderr);
}
