//! Lambda function `meetings`: the meetings routes behind API Gateway.

use lms_zoom::{AppConfig, AppState, functions, http, telemetry};

#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    telemetry::init();
    let config = AppConfig::from_env()?;
    let state = AppState::from_aws_env(config).await;
    let routes = http::meetings_function(state);
    lambda_http::run(http::function(routes, &functions::MEETINGS)).await
}
