//! The DynamoDB store: one table with string keys `pk` and `sk`; batches are
//! TransactWriteItems, conditions become condition expressions, and
//! conditional-check failures come back as typed conflicts.

use std::collections::HashMap;

use async_trait::async_trait;
use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, AttributeValue, BillingMode, ConditionCheck, Delete, KeySchemaElement,
    KeyType, KeysAndAttributes, Put, ScalarAttributeType, TimeToLiveSpecification,
    TransactWriteItem, Update,
};
use serde_json::Value;

use super::{
    Condition, Item, Key, MAX_BATCH_GET, PK, Query, SK, SkRange, Store, StoreError, StoreResult,
    Write, sort_by_key, validate_batch, validate_key, validate_keys, validate_query,
};
use crate::backoff::{Backoff, Jitter};

/// BatchGetItem may leave keys unprocessed (throughput, 16 MB answers):
/// they are asked again after a backoff, this many rounds at most per call.
const BATCH_GET_ROUNDS: u32 = 8;
const BATCH_GET_BACKOFF: Backoff = Backoff::new(
    std::time::Duration::from_millis(25),
    std::time::Duration::from_millis(800),
    Jitter::Full,
);

/// Attribute DynamoDB's time-to-live deletes items by (epoch seconds).
pub const TTL_ATTRIBUTE: &str = "ttl";

type AttrMap = HashMap<String, AttributeValue>;

#[derive(Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: impl Into<String>) -> Self {
        Self {
            client,
            table: table.into(),
        }
    }

    pub fn table(&self) -> &str {
        &self.table
    }

    /// Creates the table (on-demand, keys `pk`/`sk`, TTL on `ttl`) unless it exists.
    pub async fn ensure_table(&self) -> StoreResult<()> {
        let exists = self
            .client
            .describe_table()
            .table_name(&self.table)
            .send()
            .await;
        match exists {
            Ok(_) => return Ok(()),
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_not_found_exception()) => {}
            Err(e) => return Err(sdk_unavailable(e)),
        }
        self.create_table().await?;
        self.wait_until_active().await?;
        self.enable_ttl().await
    }

    /// Creates the table; one another process created meanwhile is fine.
    async fn create_table(&self) -> StoreResult<()> {
        let key = |name: &str, kind| {
            KeySchemaElement::builder()
                .attribute_name(name)
                .key_type(kind)
                .build()
                .expect("key schema has its required fields")
        };
        let attr = |name: &str| {
            AttributeDefinition::builder()
                .attribute_name(name)
                .attribute_type(ScalarAttributeType::S)
                .build()
                .expect("attribute definition has its required fields")
        };
        let created = self
            .client
            .create_table()
            .table_name(&self.table)
            .billing_mode(BillingMode::PayPerRequest)
            .key_schema(key(PK, KeyType::Hash))
            .key_schema(key(SK, KeyType::Range))
            .attribute_definitions(attr(PK))
            .attribute_definitions(attr(SK))
            .send()
            .await;
        match created {
            Ok(_) => {}
            // Another process created it in between: fine.
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_resource_in_use_exception()) => {}
            Err(e) => return Err(sdk_unavailable(e)),
        }
        Ok(())
    }

    /// Waits (up to a minute) for a new table to become `ACTIVE`.
    async fn wait_until_active(&self) -> StoreResult<()> {
        for _ in 0..120 {
            let described = self
                .client
                .describe_table()
                .table_name(&self.table)
                .send()
                .await
                .map_err(sdk_unavailable)?;
            let active = described
                .table()
                .and_then(|t| t.table_status())
                .is_some_and(|s| s.as_str() == "ACTIVE");
            if active {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        }
        Ok(())
    }

    /// Turns on expiry by the TTL attribute.
    async fn enable_ttl(&self) -> StoreResult<()> {
        self.client
            .update_time_to_live()
            .table_name(&self.table)
            .time_to_live_specification(
                TimeToLiveSpecification::builder()
                    .enabled(true)
                    .attribute_name(TTL_ATTRIBUTE)
                    .build()
                    .expect("ttl specification has its required fields"),
            )
            .send()
            .await
            .map_err(sdk_unavailable)?;
        Ok(())
    }
}

fn sdk_unavailable<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    let detail = match e
        .as_service_error()
        .and_then(|s| Some((s.code()?, s.message())))
    {
        Some((code, message)) => format!("{code}: {}", message.unwrap_or("")),
        None => aws_sdk_dynamodb::error::DisplayErrorContext(&e).to_string(),
    };
    StoreError::Unavailable(detail)
}

/// A failed read: a `ValidationException` is a request DynamoDB refuses (the
/// caller's bug, as the embedded store calls it), anything else unavailable.
fn read_error<E, R>(e: SdkError<E, R>) -> StoreError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match e.as_service_error() {
        Some(service) if service.code() == Some("ValidationException") => {
            StoreError::Invalid(service.message().unwrap_or("validation").to_owned())
        }
        _ => sdk_unavailable(e),
    }
}

fn to_attrs(item: Item) -> StoreResult<AttrMap> {
    serde_dynamo::to_item(Value::Object(item)).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn from_attrs(attrs: AttrMap) -> StoreResult<Item> {
    serde_dynamo::from_item(attrs).map_err(|e| StoreError::Unavailable(e.to_string()))
}

fn to_attr(value: Value) -> StoreResult<AttributeValue> {
    serde_dynamo::to_attribute_value(value).map_err(|e| StoreError::Invalid(e.to_string()))
}

fn key_attrs(key: &Key) -> AttrMap {
    HashMap::from([
        (PK.to_owned(), AttributeValue::S(key.pk.clone())),
        (SK.to_owned(), AttributeValue::S(key.sk.clone())),
    ])
}

/// Expression text with its attribute names and values, built up piece by piece.
#[derive(Default)]
struct Expr {
    names: HashMap<String, String>,
    values: AttrMap,
}

impl Expr {
    fn name(&mut self, attr: &str) -> String {
        let placeholder = format!("#n{}", self.names.len());
        self.names.insert(placeholder.clone(), attr.to_owned());
        placeholder
    }

    fn value(&mut self, value: Value) -> StoreResult<String> {
        let placeholder = format!(":v{}", self.values.len());
        self.values.insert(placeholder.clone(), to_attr(value)?);
        Ok(placeholder)
    }

    fn condition(&mut self, condition: &Condition) -> StoreResult<String> {
        Ok(match condition {
            Condition::NotExists => format!("attribute_not_exists({})", self.name(PK)),
            Condition::Exists => format!("attribute_exists({})", self.name(PK)),
            Condition::AttrEquals(attr, value) => {
                let n = self.name(attr);
                let v = self.value(value.clone())?;
                format!("{n} = {v}")
            }
        })
    }

    fn names(&self) -> Option<HashMap<String, String>> {
        (!self.names.is_empty()).then(|| self.names.clone())
    }

    fn values(&self) -> Option<AttrMap> {
        (!self.values.is_empty()).then(|| self.values.clone())
    }
}

/// `SET a = :v, … REMOVE b, …`; an update with nothing to change is invalid.
fn update_expression(expr: &mut Expr, set: Item, remove: &[String]) -> StoreResult<String> {
    let mut clauses = Vec::new();
    let sets = set
        .into_iter()
        .map(|(attr, value)| Ok(format!("{} = {}", expr.name(&attr), expr.value(value)?)))
        .collect::<StoreResult<Vec<_>>>()?;
    if !sets.is_empty() {
        clauses.push(format!("SET {}", sets.join(", ")));
    }
    let removes: Vec<_> = remove.iter().map(|attr| expr.name(attr)).collect();
    if !removes.is_empty() {
        clauses.push(format!("REMOVE {}", removes.join(", ")));
    }
    if clauses.is_empty() {
        return Err(StoreError::Invalid(
            "an update with nothing to change".into(),
        ));
    }
    Ok(clauses.join(" "))
}

fn transact_item(table: &str, write: Write) -> StoreResult<TransactWriteItem> {
    let built = |e: aws_sdk_dynamodb::error::BuildError| StoreError::Invalid(e.to_string());
    let mut expr = Expr::default();
    let item = match write {
        Write::Put { item, condition } => {
            let condition = condition.map(|c| expr.condition(&c)).transpose()?;
            TransactWriteItem::builder().put(
                Put::builder()
                    .table_name(table)
                    .set_item(Some(to_attrs(item)?))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(built)?,
            )
        }
        Write::Update {
            key,
            set,
            remove,
            condition,
        } => {
            let update = update_expression(&mut expr, set, &remove)?;
            let condition = condition.map(|c| expr.condition(&c)).transpose()?;
            TransactWriteItem::builder().update(
                Update::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(&key)))
                    .update_expression(update)
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(built)?,
            )
        }
        Write::Delete { key, condition } => {
            let condition = condition.map(|c| expr.condition(&c)).transpose()?;
            TransactWriteItem::builder().delete(
                Delete::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(&key)))
                    .set_condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(built)?,
            )
        }
        Write::Check { key, condition } => {
            let condition = expr.condition(&condition)?;
            TransactWriteItem::builder().condition_check(
                ConditionCheck::builder()
                    .table_name(table)
                    .set_key(Some(key_attrs(&key)))
                    .condition_expression(condition)
                    .set_expression_attribute_names(expr.names())
                    .set_expression_attribute_values(expr.values())
                    .build()
                    .map_err(built)?,
            )
        }
    };
    Ok(item.build())
}

fn transact_error(
    e: SdkError<TransactWriteItemsError, aws_sdk_dynamodb::config::http::HttpResponse>,
) -> StoreError {
    match e.as_service_error() {
        Some(TransactWriteItemsError::TransactionCanceledException(cancelled)) => {
            let reasons = cancelled.cancellation_reasons();
            let failed: Vec<usize> = reasons
                .iter()
                .enumerate()
                .filter(|(_, r)| r.code() == Some("ConditionalCheckFailed"))
                .map(|(i, _)| i)
                .collect();
            let conflict = reasons
                .iter()
                .any(|r| r.code() == Some("TransactionConflict"));
            if !failed.is_empty() || (!conflict && reasons.is_empty()) {
                StoreError::ConditionFailed { failed }
            } else if conflict {
                StoreError::Contention
            } else {
                let codes: Vec<_> = reasons.iter().filter_map(|r| r.code()).collect();
                StoreError::Unavailable(format!("transaction cancelled: {codes:?}"))
            }
        }
        Some(TransactWriteItemsError::TransactionInProgressException(_)) => StoreError::Contention,
        Some(service) if service.code() == Some("ValidationException") => {
            StoreError::Invalid(service.message().unwrap_or("validation").to_owned())
        }
        _ => sdk_unavailable(e),
    }
}

#[async_trait]
impl Store for DynamoStore {
    async fn get(&self, key: &Key) -> StoreResult<Option<Item>> {
        // moto answers an over-long key with "not found"; DynamoDB refuses it.
        validate_key(key)?;
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key_attrs(key)))
            .consistent_read(true)
            .send()
            .await
            .map_err(read_error)?;
        out.item.map(from_attrs).transpose()
    }

    /// BatchGetItem, [`MAX_BATCH_GET`] keys a call, one call after another;
    /// unprocessed keys are asked again after a backoff.
    async fn batch_get(&self, keys: &[Key]) -> StoreResult<Vec<Item>> {
        let keys = validate_keys(keys)?;
        let mut items = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending: Vec<AttrMap> = chunk.iter().map(key_attrs).collect();
            let mut round = 0;
            while !pending.is_empty() {
                if round > 0
                    && (round >= BATCH_GET_ROUNDS || !BATCH_GET_BACKOFF.wait(round - 1).await)
                {
                    return Err(StoreError::Unavailable(format!(
                        "{} keys still unprocessed after {round} BatchGetItem calls",
                        pending.len()
                    )));
                }
                round += 1;
                let request = KeysAndAttributes::builder()
                    .set_keys(Some(std::mem::take(&mut pending)))
                    .consistent_read(true)
                    .build()
                    .map_err(|e| StoreError::Invalid(e.to_string()))?;
                let out = self
                    .client
                    .batch_get_item()
                    .request_items(&self.table, request)
                    .send()
                    .await
                    .map_err(read_error)?;
                let found = out
                    .responses
                    .and_then(|mut tables| tables.remove(&self.table))
                    .unwrap_or_default();
                for attrs in found {
                    items.push(from_attrs(attrs)?);
                }
                pending = out
                    .unprocessed_keys
                    .and_then(|mut tables| tables.remove(&self.table))
                    .map(|left| left.keys)
                    .unwrap_or_default();
            }
        }
        sort_by_key(&mut items);
        Ok(items)
    }

    async fn query(&self, query: &Query) -> StoreResult<Vec<Item>> {
        validate_query(query)?;
        // A cursor outside the range is no error: before the range it is moot,
        // past it nothing is left.
        let mut start = match &query.after {
            Some(after) if query.range.contains(after) => Some(Key::new(&query.pk, after)),
            Some(after) => {
                let before_range = match &query.range {
                    SkRange::BeginsWith(prefix) => after.as_str() < prefix.as_str(),
                    SkRange::Between(lo, _) | SkRange::AtLeast(lo) => after.as_str() < lo.as_str(),
                };
                if before_range == query.descending {
                    return Ok(Vec::new());
                }
                None
            }
            None => None,
        };
        let mut expr = Expr::default();
        let pk = expr.name(PK);
        let sk = expr.name(SK);
        let pk_value = expr.value(Value::String(query.pk.clone()))?;
        let sk_condition = match &query.range {
            SkRange::BeginsWith(prefix) => {
                format!("begins_with({sk}, {})", expr.value(prefix.clone().into())?)
            }
            SkRange::Between(lo, hi) => format!(
                "{sk} BETWEEN {} AND {}",
                expr.value(lo.clone().into())?,
                expr.value(hi.clone().into())?
            ),
            SkRange::AtLeast(lo) => format!("{sk} >= {}", expr.value(lo.clone().into())?),
        };
        let key_condition = format!("{pk} = {pk_value} AND {sk_condition}");
        let mut items = Vec::new();
        while items.len() < query.limit {
            let remaining = i32::try_from(query.limit - items.len()).unwrap_or(i32::MAX);
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .key_condition_expression(&key_condition)
                .set_expression_attribute_names(expr.names())
                .set_expression_attribute_values(expr.values())
                .scan_index_forward(!query.descending)
                .consistent_read(true)
                .limit(remaining)
                .set_exclusive_start_key(start.as_ref().map(key_attrs))
                .send()
                .await
                .map_err(read_error)?;
            for attrs in out.items.unwrap_or_default() {
                items.push(from_attrs(attrs)?);
            }
            match out.last_evaluated_key {
                Some(last) => {
                    let sk = last.get(SK).and_then(|v| v.as_s().ok()).cloned();
                    match sk {
                        Some(sk) => start = Some(Key::new(&query.pk, sk)),
                        None => break,
                    }
                }
                None => break,
            }
        }
        items.truncate(query.limit);
        Ok(items)
    }

    async fn transact(&self, writes: Vec<Write>) -> StoreResult<()> {
        validate_batch(&writes)?;
        let items = writes
            .into_iter()
            .map(|w| transact_item(&self.table, w))
            .collect::<StoreResult<Vec<_>>>()?;
        self.client
            .transact_write_items()
            .set_transact_items(Some(items))
            .send()
            .await
            .map_err(transact_error)?;
        Ok(())
    }
}
