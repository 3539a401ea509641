//! Lambda function `maintenance`: one maintenance run per EventBridge
//! scheduled event (every minute, template.yaml).

use lms_zoom::{AppConfig, AppState, lambda, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    telemetry::init();
    let config = AppConfig::from_env()?;
    let state = AppState::from_aws_env(config).await;
    lambda::run_maintenance(state).await
}
