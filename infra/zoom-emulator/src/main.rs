//! `zoom-emulator`: the demo emulator on a port, until Ctrl-C.

use std::net::SocketAddr;

use clap::Parser;
use zoom_emulator::{
    DEMO_ACCOUNT_ID, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, Emulator, EmulatorConfig,
};

/// Zoom stand-in (S2S OAuth + meetings/users/recordings REST) for demos.
#[derive(Parser)]
#[command(name = "zoom-emulator", version)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:9090")]
    listen: SocketAddr,
}

#[tokio::main]
async fn main() -> std::io::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    let args = Args::parse();
    let zoom = Emulator::start_on(EmulatorConfig::demo(), args.listen).await?;
    println!("zoom emulator listening on {}", zoom.base_url());
    println!("  ZOOM_OAUTH_URL={}", zoom.oauth_url());
    println!("  ZOOM_API_URL={}", zoom.api_url());
    println!("  account id:    {DEMO_ACCOUNT_ID}");
    println!("  client id:     {DEMO_CLIENT_ID}");
    println!("  client secret: {DEMO_CLIENT_SECRET}");
    println!("  users:         teacher@example.com (licensed host), basic@example.com (basic)");
    tokio::signal::ctrl_c().await?;
    zoom.stop().await;
    Ok(())
}
