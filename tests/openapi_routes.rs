//! The router and `assets/openapi.yaml` describe the same API: every route that
//! `src/server/mod.rs` registers (path and method) is in the spec, and every path and
//! method in the spec is served. Both are read as text: the router's `.route(` calls
//! from the source, the spec's `paths:` block with a small line reader (the spec keeps
//! one path per line at two spaces and one method per line at four), since the crate
//! has no YAML parser to lean on.

use std::collections::BTreeSet;

const ROUTER: &str = include_str!("../src/server/mod.rs");
const SPEC: &str = include_str!("../assets/openapi.yaml");

const METHODS: [&str; 7] = ["get", "post", "put", "delete", "patch", "head", "options"];

type Routes = BTreeSet<(String, String)>;

/// `(path, method)` of every `.route("PATH", get(..).post(..))` call in `source`.
fn router_routes(source: &str) -> Result<Routes, String> {
    let mut routes = Routes::new();
    let mut rest = source;
    while let Some(at) = rest.find(".route(") {
        let line = source[..source.len() - rest.len() + at].lines().count();
        let call = &rest[at + ".route(".len()..];
        let args =
            balanced(call).ok_or_else(|| format!("mod.rs line {line}: `.route(` never closes"))?;
        let path = first_string(args)
            .ok_or_else(|| format!("mod.rs line {line}: `.route(` without a path literal"))?;
        let methods = method_calls(&args[args.find(',').unwrap_or(args.len())..]);
        if methods.is_empty() {
            return Err(format!(
                "mod.rs line {line}: route {path:?} names no method"
            ));
        }
        for m in methods {
            routes.insert((path.to_owned(), m.to_owned()));
        }
        rest = &call[args.len()..];
    }
    Ok(routes)
}

/// The text up to the `)` that closes an opening `(` just before `s`.
fn balanced(s: &str) -> Option<&str> {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[..i]);
                }
            }
            _ => {}
        }
    }
    None
}

fn first_string(s: &str) -> Option<&str> {
    let open = s.find('"')?;
    let close = s[open + 1..].find('"')?;
    Some(&s[open + 1..open + 1 + close])
}

/// The method routers called in a route's handler expression: `get(`, `.post(`,
/// `axum::routing::put(`.
fn method_calls(s: &str) -> Vec<&'static str> {
    let word = regex::Regex::new(r"(?:^|[^A-Za-z0-9_])([a-z]+)\(").unwrap();
    word.captures_iter(s)
        .filter_map(|c| METHODS.iter().copied().find(|m| *m == &c[1]))
        .collect()
}

/// `(path, method)` of every operation under the spec's top-level `paths:`.
fn spec_routes(spec: &str) -> Result<Routes, String> {
    let mut routes = Routes::new();
    let mut in_paths = false;
    let mut path: Option<&str> = None;
    for (n, line) in spec.lines().enumerate() {
        let n = n + 1;
        if line.trim().is_empty() || line.trim_start().starts_with('#') {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        if indent == 0 {
            in_paths = line.trim_end() == "paths:";
            path = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        let key = line.trim().split(':').next().unwrap_or_default();
        match indent {
            2 => {
                if !key.starts_with('/') || !line.trim_end().ends_with(':') {
                    return Err(format!(
                        "openapi.yaml line {n}: expected `  /path:` under paths, found {line:?}"
                    ));
                }
                path = Some(key);
            }
            4 if METHODS.contains(&key) => {
                let p =
                    path.ok_or_else(|| format!("openapi.yaml line {n}: a method outside a path"))?;
                routes.insert((p.to_owned(), key.to_owned()));
            }
            4 if key == "parameters" || key == "summary" || key == "description" => {}
            4 => {
                return Err(format!(
                    "openapi.yaml line {n}: {key:?} is not an HTTP method"
                ))
            }
            _ => {}
        }
    }
    if routes.is_empty() {
        return Err("openapi.yaml: no operations found under `paths:`".into());
    }
    Ok(routes)
}

#[test]
fn every_route_is_described_and_every_described_path_is_served() {
    let served = router_routes(ROUTER).unwrap();
    let described = spec_routes(SPEC).unwrap();
    assert!(
        served.len() >= 10,
        "the router reader found too few routes to be reading mod.rs right: {served:?}"
    );
    let undescribed: Vec<_> = served.difference(&described).collect();
    let unserved: Vec<_> = described.difference(&served).collect();
    assert!(
        undescribed.is_empty() && unserved.is_empty(),
        "served but not in assets/openapi.yaml: {undescribed:?}\n\
         in assets/openapi.yaml but not served: {unserved:?}"
    );
}

#[test]
fn the_readers_see_what_they_are_meant_to() {
    let src = r#"Router::new()
        .route("/a", get(x::a))
        .route("/b/{id}", get(x::b).post(x::c))
        .route(
            "/c",
            axum::routing::put(y::set),
        )
        .layer(foo(bar))"#;
    let got: Vec<_> = router_routes(src).unwrap().into_iter().collect();
    let want: Vec<(String, String)> = [
        ("/a", "get"),
        ("/b/{id}", "get"),
        ("/b/{id}", "post"),
        ("/c", "put"),
    ]
    .iter()
    .map(|(p, m)| (p.to_string(), m.to_string()))
    .collect();
    assert_eq!(got, want);
    let spec = "openapi: 3.0.3\ncomponents:\n  schemas:\n    get: {}\npaths:\n  /a:\n    get:\n      summary: x\n  /b/{id}:\n    parameters: []\n    post:\n      responses: {}\n";
    let got: Vec<_> = spec_routes(spec).unwrap().into_iter().collect();
    assert_eq!(
        got,
        vec![
            ("/a".to_string(), "get".to_string()),
            ("/b/{id}".to_string(), "post".to_string())
        ]
    );
    assert!(spec_routes("paths:\n  /a:\n    fetch:\n")
        .unwrap_err()
        .contains("line 3"));
    assert!(router_routes(".route(\"/x\", y)")
        .unwrap_err()
        .contains("names no method"));
}
