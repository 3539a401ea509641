//! Lambda function `recording-archiver`: one recording file copied from
//! Zoom into the recordings bucket per SQS message (template.yaml).

use lms_zoom::{AppConfig, AppState, lambda, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda::Error> {
    telemetry::init();
    let config = AppConfig::from_env()?;
    let state = AppState::from_aws_env(config).await;
    lambda::archiver::run_archiver(state).await
}
