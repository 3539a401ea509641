//! The routes the code serves and the routes openapi.yaml documents are the
//! same set: read from the routers' source (every `.route("path", get(..)...)`
//! in shared/src/http/*.rs and infra/local/src/lib.rs) and from the document,
//! then every documented route is called on the in-process local server,
//! which must not answer `route_not_found` or `method_not_allowed`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use lms_zoom_tests::{Backend, TestServer};
use regex::Regex;
use reqwest::Method;
use serde_json::Value;

/// (METHOD, path with every `{param}` written `{}`).
type Route = (String, String);

const METHODS: &[&str] = &[
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

fn normalise(path: &str) -> String {
    Regex::new(r"\{[^}/]+\}")
        .unwrap()
        .replace_all(path, "{}")
        .into_owned()
}

fn router_sources() -> Vec<PathBuf> {
    let http = root().join("shared/src/http");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&http)
        .expect("read shared/src/http")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .collect();
    files.push(root().join("infra/local/src/lib.rs"));
    files.sort();
    files
}

/// The text from just after an opening parenthesis to its matching close.
fn balanced(text: &str) -> &str {
    let mut depth = 1usize;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return &text[..i];
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses after {text:.80}")
}

/// The methods of a method router such as `post(create).get(list)`: the
/// calls at the top level of the chain (handler arguments are skipped).
fn chain_methods(chain: &str, context: &str) -> Vec<String> {
    let call = Regex::new(r"^\s*\.?\s*([a-z_]+)\s*\(").unwrap();
    let mut methods = Vec::new();
    let mut rest = chain.trim().trim_end_matches(',');
    while !rest.trim().is_empty() {
        let found = call
            .captures(rest)
            .unwrap_or_else(|| panic!("{context}: cannot read the method router `{chain}`"));
        let name = found[1].to_owned();
        assert!(
            METHODS.contains(&name.as_str()),
            "{context}: `{name}(..)` in `{chain}` is not one of {METHODS:?}; teach this test about it"
        );
        let after = &rest[found.get(0).unwrap().end()..];
        let args = balanced(after);
        methods.push(name.to_ascii_uppercase());
        rest = &after[args.len() + 1..];
    }
    methods
}

fn router_routes() -> BTreeSet<Route> {
    let route = Regex::new(r#"\.route\(\s*"([^"]+)"\s*,"#).unwrap();
    let unsupported = Regex::new(r"\.(nest|nest_service|route_service|merge_service)\(").unwrap();
    let mut routes = BTreeSet::new();
    for file in router_sources() {
        let text = std::fs::read_to_string(&file).expect("read a router source");
        let name = file.strip_prefix(root()).unwrap().display().to_string();
        if let Some(m) = unsupported.find(&text) {
            panic!(
                "{name}: `{}` mounts routes this test cannot read; teach it about them",
                m.as_str()
            );
        }
        for found in route.captures_iter(&text) {
            let path = &found[1];
            let after = &text[found.get(0).unwrap().end()..];
            let chain = balanced(after);
            let context = format!("{name}: route {path}");
            for method in chain_methods(chain, &context) {
                let added = routes.insert((method.clone(), normalise(path)));
                assert!(added, "{context}: {method} registered twice");
            }
        }
    }
    routes
}

fn document() -> Value {
    let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("read openapi.yaml");
    serde_norway::from_str(&text).expect("openapi.yaml is YAML")
}

fn documented_routes(document: &Value) -> BTreeSet<Route> {
    let paths = document["paths"]
        .as_object()
        .expect("openapi.yaml has paths");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for key in item.keys() {
            if METHODS.contains(&key.as_str()) {
                routes.insert((key.to_ascii_uppercase(), normalise(path)));
            }
        }
    }
    routes
}

fn listed(routes: &BTreeSet<Route>) -> String {
    routes
        .iter()
        .map(|(m, p)| format!("\n  {m} {p}"))
        .collect::<String>()
}

#[test]
fn routers_and_document_serve_the_same_routes() {
    let served = router_routes();
    let documented = documented_routes(&document());
    // A reader that finds nothing would make the comparison vacuous.
    assert!(
        served.len() >= 17,
        "only {} routes read from the source:{}",
        served.len(),
        listed(&served)
    );
    let undocumented: BTreeSet<_> = served.difference(&documented).cloned().collect();
    let unserved: BTreeSet<_> = documented.difference(&served).cloned().collect();
    assert!(
        undocumented.is_empty() && unserved.is_empty(),
        "the routers and openapi.yaml disagree.\nServed but not in openapi.yaml:{}\nIn openapi.yaml but not served:{}",
        listed(&undocumented),
        listed(&unserved)
    );
}

#[test]
fn the_source_reader_reads_chains_and_parameters() {
    assert_eq!(
        chain_methods(" post(create).get(list) ", "t"),
        ["POST", "GET"]
    );
    assert_eq!(
        chain_methods("\n get(read)\n .patch(patch)\n .delete(remove),\n", "t"),
        ["GET", "PATCH", "DELETE"]
    );
    assert_eq!(
        normalise("/v1/academies/{academy_id}/licenses/{licenseId}/verify"),
        "/v1/academies/{}/licenses/{}/verify"
    );
}

/// A value for a path parameter that reaches the handler (well-formed ids).
fn dummy(parameter: &str) -> &'static str {
    match parameter {
        "academyId" => "a1",
        "licenseId" => "lic_00000000000000000000000000",
        "meetingId" => "mtg_00000000000000000000000000",
        _ => "x",
    }
}

fn concrete(path: &str) -> String {
    Regex::new(r"\{([^}/]+)\}")
        .unwrap()
        .replace_all(path, |c: &regex::Captures| dummy(&c[1]).to_owned())
        .into_owned()
}

async fn problem_code(server: &TestServer, method: &str, path: &str) -> (u16, Option<String>) {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = server.http.request(method.clone(), server.url(path));
    if method == Method::POST || method == Method::PATCH || method == Method::PUT {
        request = request
            .header("content-type", "application/json")
            .body("{}");
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap_or_default();
    let code = serde_json::from_str::<Value>(&text)
        .ok()
        .and_then(|b| b["code"].as_str().map(str::to_owned));
    (status, code)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_local_server_answers_every_documented_route() {
    let server = TestServer::start(Backend::embedded()).await;

    // The probe tells the fallbacks apart from the routes.
    assert_eq!(
        problem_code(&server, "GET", "/v1/no-such-route").await,
        (404, Some("route_not_found".into()))
    );
    assert_eq!(
        problem_code(&server, "PUT", "/healthz").await,
        (405, Some("method_not_allowed".into()))
    );

    let document = document();
    let mut missing = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !METHODS.contains(&method.as_str()) {
                continue;
            }
            let method = method.to_ascii_uppercase();
            let url = concrete(path);
            let (status, code) = problem_code(&server, &method, &url).await;
            if matches!(
                code.as_deref(),
                Some("route_not_found" | "method_not_allowed")
            ) || status == 405
            {
                missing.push(format!("\n  {method} {url}: {status} {code:?}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "documented routes the local server does not serve:{}",
        missing.concat()
    );
}
