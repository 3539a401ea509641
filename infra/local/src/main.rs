//! `lms-zoom-local`: wiring only.

use clap::Parser;
use lms_zoom::secrets::Secret;
use lms_zoom::{AppConfig, telemetry};
use lms_zoom_local::{Args, start};
use std::io::Write as _;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    telemetry::init();
    let args = Args::parse();
    let token = std::env::var("LMS_ZOOM_API_TOKEN")
        .ok()
        .filter(|t| !t.trim().is_empty());
    let started = match AppConfig::from_env() {
        Ok(config) => start(&args, config, token.map(Secret::new)).await,
        Err(e) => Err(e.into()),
    };
    let server = match started {
        Ok(server) => server,
        Err(e) => {
            eprintln!("lms-zoom-local: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    println!("listening on http://{}", server.addr);
    if let Some(zoom) = &server.zoom {
        print!("{}", lms_zoom_local::demo_credentials_text(zoom));
    }
    let _ = std::io::stdout().flush();
    let _ = tokio::signal::ctrl_c().await;
    match server.stop().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lms-zoom-local: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
