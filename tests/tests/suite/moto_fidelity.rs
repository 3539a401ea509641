//! The moto server the tests run (`infra/scripts/moto_serial.py`) behaves as
//! DynamoDB does where our code relies on it.

use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};

fn put_new(table: &str, pk: &str) -> TransactWriteItem {
    let put = Put::builder()
        .table_name(table)
        .item("pk", AttributeValue::S(pk.into()))
        .item("sk", AttributeValue::S("X".into()))
        .condition_expression("attribute_not_exists(pk)")
        .build()
        .unwrap();
    TransactWriteItem::builder().put(put).build()
}

/// The SDK sends the same ClientRequestToken on every retry of a
/// TransactWriteItems; DynamoDB answers a retry of an applied transaction
/// as it answered the first call (for 10 minutes), so a retry after a lost
/// answer never fails its own conditions. Another body with the token is refused.
#[tokio::test]
async fn a_transaction_retried_with_its_token_answers_as_the_first() {
    let store = lms_zoom_tests::dynamo_store().await;
    let sdk = lms_zoom_tests::aws_config().await;
    let client = aws_sdk_dynamodb::Client::new(&sdk);
    let table = store.table().to_owned();
    let token = ulid::Ulid::new().to_string();
    let send = |pk: &str| {
        client
            .transact_write_items()
            .transact_items(put_new(&table, pk))
            .client_request_token(&token)
            .send()
    };
    send("A").await.expect("first call");
    send("A")
        .await
        .expect("the retry answers as the first call did");
    let other = send("B").await.expect_err("same token, other body");
    let code = other.into_service_error().meta().code().map(str::to_owned);
    assert_eq!(
        code.as_deref(),
        Some("IdempotentParameterMismatchException")
    );
    // Without the token the condition is checked again, and fails.
    let again = client
        .transact_write_items()
        .transact_items(put_new(&table, "A"))
        .client_request_token(ulid::Ulid::new().to_string())
        .send()
        .await;
    assert!(
        again.is_err(),
        "a new transaction on the same item fails its condition"
    );
}
