//! The payloads Lambda hands a function and what API Gateway makes of the
//! answer: API Gateway HTTP API payload format 2.0 events, EventBridge
//! scheduled events, and the decoding of a `lambda_http` response into the
//! HTTP answer a client of the API would get.

use base64::Engine as _;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde_json::{Map, Value, json};

use super::functions::Route;
use crate::kit::Answer;

pub const REGION: &str = "us-east-1";
pub const ACCOUNT: &str = "123456789012";
pub const API_ID: &str = "lmszoom123";

/// `https://lmszoom123.execute-api.us-east-1.amazonaws.com`: what clients of
/// the hosted functions call (only the path and query reach the function).
pub fn api_base_url() -> String {
    format!("https://{API_ID}.execute-api.{REGION}.amazonaws.com")
}

/// An HTTP request to the API, before API Gateway turns it into an event.
#[derive(Debug, Clone)]
pub struct HttpRequest {
    pub method: String,
    /// Path and query as sent (`/v1/academies/a1/licenses?verify=false`),
    /// percent-encoding kept: API Gateway hands it on as `rawPath` and
    /// `rawQueryString`.
    pub path: String,
    /// In order; names are lowercased in the event, as API Gateway does.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// `Some(true)` forces a base64 body (`isBase64Encoded`), `Some(false)`
    /// plain text; `None` decides as API Gateway does for HTTP APIs: text
    /// media types (text/*, JSON, XML, form) that are UTF-8 travel as text,
    /// everything else base64-encoded.
    pub base64: Option<bool>,
}

impl HttpRequest {
    pub fn new(method: &str, path: &str) -> Self {
        Self {
            method: method.to_ascii_uppercase(),
            path: path.to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            base64: None,
        }
    }
    pub fn get(path: &str) -> Self {
        Self::new("GET", path)
    }
    pub fn post(path: &str) -> Self {
        Self::new("POST", path)
    }
    pub fn patch(path: &str) -> Self {
        Self::new("PATCH", path)
    }
    pub fn put(path: &str) -> Self {
        Self::new("PUT", path)
    }
    pub fn delete(path: &str) -> Self {
        Self::new("DELETE", path)
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    /// A JSON body with `content-type: application/json`.
    pub fn json(self, body: &Value) -> Self {
        self.body("application/json", serde_json::to_vec(body).unwrap())
    }
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.headers
            .retain(|(n, _)| !n.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("content-type".to_owned(), content_type.to_owned()));
        self.body = body.into();
        self
    }
    pub fn base64(mut self, base64: bool) -> Self {
        self.base64 = Some(base64);
        self
    }

    fn header_value(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// `(rawPath, rawQueryString)`.
    pub fn split_path(&self) -> (&str, &str) {
        match self.path.split_once('?') {
            Some((path, query)) => (path, query),
            None => (self.path.as_str(), ""),
        }
    }

    fn base64_body(&self) -> bool {
        if let Some(forced) = self.base64 {
            return forced;
        }
        let content_type = self
            .header_value("content-type")
            .unwrap_or("")
            .to_ascii_lowercase();
        let text = content_type.starts_with("text/")
            || ["json", "xml", "javascript", "x-www-form-urlencoded"]
                .iter()
                .any(|t| content_type.contains(t));
        !(text && std::str::from_utf8(&self.body).is_ok())
    }
}

/// A request built with reqwest (`host.http().post(host.url(p)).json(&b)`):
/// method, path and query, headers and a buffered body carry over.
impl From<reqwest::Request> for HttpRequest {
    fn from(request: reqwest::Request) -> Self {
        let url = request.url();
        let path = match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        };
        let headers = request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect();
        let body = request
            .body()
            .map(|b| {
                b.as_bytes()
                    .expect("a buffered request body (streams cannot become an event)")
                    .to_vec()
            })
            .unwrap_or_default();
        Self {
            method: request.method().as_str().to_owned(),
            path,
            headers,
            body,
            base64: None,
        }
    }
}

fn random_hex(n: usize) -> String {
    let mut s = String::new();
    while s.len() < n {
        s.push_str(&format!("{:020x}", ulid::Ulid::new().random()));
    }
    s.truncate(n);
    s
}

/// An X-Ray trace header (`Root=1-…;Parent=…;Sampled=0`).
pub fn trace_id() -> String {
    format!(
        "Root=1-{:08x}-{};Parent={};Sampled=0",
        chrono::Utc::now().timestamp(),
        random_hex(24),
        random_hex(16)
    )
}

/// The API Gateway HTTP API (payload 2.0) event for `request` on `route`.
pub fn http_event(request: &HttpRequest, route: &Route, params: &[(String, String)]) -> Value {
    let now = chrono::Utc::now();
    let (raw_path, raw_query) = request.split_path();
    let domain = format!("{API_ID}.execute-api.{REGION}.amazonaws.com");

    // Header names lowercased; repeated headers joined with commas; cookies
    // apart, as API Gateway does.
    let mut headers = Map::new();
    let mut cookies = Vec::new();
    let mut put = |name: &str, value: &str| {
        let name = name.to_ascii_lowercase();
        if name == "cookie" {
            cookies.extend(value.split(';').map(|c| json!(c.trim())));
            return;
        }
        match headers.get_mut(&name) {
            Some(Value::String(v)) => {
                v.push(',');
                v.push_str(value);
            }
            _ => {
                headers.insert(name, json!(value));
            }
        }
    };
    for (name, value) in &request.headers {
        put(name, value);
    }
    let defaults = [
        ("host", domain.clone()),
        ("user-agent", "lms-backend/1.0".to_owned()),
        (
            "x-amzn-trace-id",
            format!("Root=1-{:08x}-{}", now.timestamp(), random_hex(24)),
        ),
        ("x-forwarded-for", "203.0.113.10".to_owned()),
        ("x-forwarded-port", "443".to_owned()),
        ("x-forwarded-proto", "https".to_owned()),
        ("content-length", request.body.len().to_string()),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(name) && (name != "content-length" || !request.body.is_empty()) {
            headers.insert(name.to_owned(), json!(value));
        }
    }
    let user_agent = headers["user-agent"].clone();

    let mut query = Map::new();
    for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        match query.get_mut(k) {
            Some(Value::String(s)) => {
                s.push(',');
                s.push_str(v);
            }
            _ => {
                query.insert(k.to_owned(), json!(v));
            }
        }
    }

    let mut context = json!({
        "accountId": ACCOUNT,
        "apiId": API_ID,
        "domainName": domain,
        "domainPrefix": API_ID,
        "http": {
            "method": request.method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": "203.0.113.10",
            "userAgent": user_agent,
        },
        "requestId": random_hex(16),
        "routeKey": route.key(),
        "stage": "$default",
        "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
        "timeEpoch": now.timestamp_millis(),
    });
    if route.iam {
        context["authorizer"] = json!({"iam": {
            "accessKey": "ASIAEXAMPLEEXAMPLE00",
            "accountId": ACCOUNT,
            "callerId": "AROAEXAMPLEEXAMPLE000:lms-backend",
            "cognitoIdentity": null,
            "principalOrgId": null,
            "userArn": format!("arn:aws:sts::{ACCOUNT}:assumed-role/lms-backend/lms-backend"),
            "userId": "AROAEXAMPLEEXAMPLE000:lms-backend",
        }});
    }

    let mut event = json!({
        "version": "2.0",
        "routeKey": route.key(),
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": context,
        "isBase64Encoded": false,
    });
    if !cookies.is_empty() {
        event["cookies"] = Value::Array(cookies);
    }
    if !query.is_empty() {
        event["queryStringParameters"] = Value::Object(query);
    }
    if !params.is_empty() {
        let params: Map<String, Value> =
            params.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        event["pathParameters"] = Value::Object(params);
    }
    if !request.body.is_empty() {
        if request.base64_body() {
            event["body"] = json!(base64::engine::general_purpose::STANDARD.encode(&request.body));
            event["isBase64Encoded"] = json!(true);
        } else {
            event["body"] = json!(String::from_utf8(request.body.clone()).unwrap());
        }
    }
    event
}

/// An EventBridge scheduled event (`rate(…)`/`cron(…)` rule `rule`), as
/// Lambda hands it to a function such as `maintenance`.
pub fn scheduled_event(rule: &str) -> Value {
    json!({
        "version": "0",
        "id": ulid::Ulid::new().to_string().to_lowercase(),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT,
        "time": chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string(),
        "region": REGION,
        "resources": [format!("arn:aws:events:{REGION}:{ACCOUNT}:rule/{rule}")],
        "detail": {},
    })
}

fn answer(status: u16, headers: HeaderMap, body: Vec<u8>) -> Answer {
    let text = String::from_utf8_lossy(&body).into_owned();
    let body = serde_json::from_str(&text).unwrap_or(Value::Null);
    Answer {
        status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY),
        headers,
        text,
        body,
    }
}

fn gateway_headers() -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    if let Ok(id) = HeaderValue::from_str(&random_hex(16)) {
        headers.insert("apigw-requestid", id);
    }
    headers
}

/// API Gateway's own answer (`{"message": …}`), when the integration failed
/// (500 Internal Server Error) or no route matched (404 Not Found).
pub fn gateway_answer(status: u16, message: &str) -> Answer {
    answer(
        status,
        gateway_headers(),
        serde_json::to_vec(&json!({ "message": message })).unwrap(),
    )
}

/// What API Gateway answers for a function's response payload (format 2.0):
/// an object with `statusCode` is decoded (headers, cookies as
/// `set-cookie`, base64 body); anything else is a 200 with the payload as
/// its JSON body.
pub fn decode_http_response(payload: &[u8]) -> Answer {
    let Ok(Value::Object(response)) = serde_json::from_slice::<Value>(payload) else {
        return answer(200, gateway_headers(), payload.to_vec());
    };
    let Some(status) = response.get("statusCode").and_then(Value::as_u64) else {
        return answer(200, gateway_headers(), payload.to_vec());
    };
    let mut headers = HeaderMap::new();
    let mut add = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            headers.append(n, v);
        }
    };
    if let Some(Value::Object(map)) = response.get("headers") {
        for (name, value) in map {
            if let Some(v) = value.as_str() {
                add(name, v);
            }
        }
    }
    if let Some(Value::Object(map)) = response.get("multiValueHeaders") {
        for (name, values) in map {
            for v in values
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
            {
                add(name, v);
            }
        }
    }
    for cookie in response
        .get("cookies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
    {
        add("set-cookie", cookie);
    }
    let body = response.get("body").and_then(Value::as_str).unwrap_or("");
    let body = if response.get("isBase64Encoded") == Some(&Value::Bool(true)) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .expect("a base64 body the function said was base64")
    } else {
        body.as_bytes().to_vec()
    };
    answer(status as u16, headers, body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lambda_host::FunctionSpec;

    #[test]
    fn event_carries_what_api_gateway_sends() {
        let spec = FunctionSpec::licenses();
        let request = HttpRequest::post("/v1/academies/a1/licenses?verify=false&x=1&x=2")
            .header("Cookie", "a=1; b=2")
            .header("X-Thing", "one")
            .header("x-thing", "two")
            .json(&json!({"name": "n"}));
        let (raw_path, _) = request.split_path();
        let (route, params) = spec.route(&request.method, raw_path).unwrap();
        let event = http_event(&request, route, &params);
        assert_eq!(event["rawPath"], "/v1/academies/a1/licenses");
        assert_eq!(event["rawQueryString"], "verify=false&x=1&x=2");
        assert_eq!(event["queryStringParameters"]["x"], "1,2");
        assert_eq!(event["pathParameters"]["academyId"], "a1");
        assert_eq!(event["headers"]["x-thing"], "one,two");
        assert_eq!(event["cookies"], json!(["a=1", "b=2"]));
        assert_eq!(event["body"], r#"{"name":"n"}"#);
        assert_eq!(event["isBase64Encoded"], false);
        assert_eq!(event["requestContext"]["http"]["method"], "POST");
        assert!(event["requestContext"]["authorizer"]["iam"].is_object());
        let binary = HttpRequest::post("/v1/academies/a1/licenses")
            .body("application/octet-stream", vec![0xff, 0]);
        let event = http_event(&binary, route, &params);
        assert_eq!(event["isBase64Encoded"], true);
        assert_eq!(event["body"], "/wA=");
    }

    #[test]
    fn responses_decode_as_api_gateway_answers() {
        let a = decode_http_response(
            br#"{"statusCode":201,"headers":{"content-type":"application/json","etag":"\"1\""},"multiValueHeaders":{},"body":"eyJhIjoxfQ==","isBase64Encoded":true,"cookies":["c=1"]}"#,
        );
        assert_eq!(a.status, 201);
        assert_eq!(a.body, json!({"a": 1}));
        assert_eq!(a.headers["etag"], "\"1\"");
        assert_eq!(a.headers["set-cookie"], "c=1");
        let bare = decode_http_response(br#"{"hello":"world"}"#);
        assert_eq!(bare.status, 200);
        assert_eq!(bare.body["hello"], "world");
    }
}
