//! Lambda function `sdk-signature`: the Meeting SDK signature route behind API Gateway.

use lms_zoom::{AppConfig, AppState, http, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = AppConfig::from_env()?;
    let state = AppState::from_aws_env(config).await;
    lambda_http::run(http::edge(http::signature::routes(state))).await
}
