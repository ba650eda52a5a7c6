//! `deadweight comment` end to end against a small GitHub-like HTTP server
//! on 127.0.0.1 that records what it receives: create on the first run,
//! update on the second, paginated listing, rate limits and errors.

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use common::deadweight;

#[derive(Clone, Debug)]
struct Received {
    method: String,
    path: String,
    authorization: String,
    body: String,
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    /// (id, body) of the comments on the pull request, oldest first.
    comments: Vec<(u64, String)>,
    /// Answer the next request with this status first (401, 404, 429).
    fail_next: Vec<u16>,
}

/// Serves the three endpoints the command uses; `per_page` is honoured as 2
/// so that listing has to follow `Link: rel="next"`.
fn serve(state: Arc<Mutex<State>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let base = address.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() || request_line.is_empty() {
                continue;
            }
            let mut parts = request_line.split_whitespace();
            let method = parts.next().unwrap_or("").to_string();
            let path = parts.next().unwrap_or("").to_string();
            let mut length = 0;
            let mut authorization = String::new();
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let line = line.trim_end();
                if line.is_empty() {
                    break;
                }
                let (name, value) = line.split_once(':').unwrap();
                match name.to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "authorization" => authorization = value.trim().to_string(),
                    _ => {}
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let body = String::from_utf8(body).unwrap();
            let mut state = state.lock().unwrap();
            state.received.push(Received {
                method: method.clone(),
                path: path.clone(),
                authorization,
                body: body.clone(),
            });
            let (status, extra, answer) = if let Some(code) = state.fail_next.pop() {
                let extra = if code == 429 {
                    "Retry-After: 0\r\n".to_string()
                } else {
                    String::new()
                };
                (code, extra, "{\"message\":\"nope\"}".to_string())
            } else if method == "GET" {
                let page: usize = path
                    .split("&page=")
                    .nth(1)
                    .and_then(|p| p.parse().ok())
                    .unwrap_or(1);
                let all = &state.comments;
                let slice: Vec<serde_json::Value> = all
                    .iter()
                    .skip((page - 1) * 2)
                    .take(2)
                    .map(|(id, b)| serde_json::json!({"id": id, "body": b}))
                    .collect();
                let extra = if page * 2 < all.len() {
                    format!("Link: <{base}/repos/o/r/issues/7/comments?per_page=100&page={}>; rel=\"next\"\r\n", page + 1)
                } else {
                    String::new()
                };
                (200, extra, serde_json::Value::Array(slice).to_string())
            } else {
                let text: serde_json::Value = serde_json::from_str(&body).unwrap();
                let text = text["body"].as_str().unwrap().to_string();
                let id = if method == "POST" {
                    let id = 1000 + state.comments.len() as u64;
                    state.comments.push((id, text));
                    id
                } else {
                    let id: u64 = path.rsplit('/').next().unwrap().parse().unwrap();
                    state.comments.iter_mut().find(|(i, _)| *i == id).unwrap().1 = text;
                    id
                };
                (if method == "POST" { 201 } else { 200 }, String::new(), serde_json::json!({"id": id, "html_url": format!("https://github.test/o/r/pull/7#issuecomment-{id}")}).to_string())
            };
            let response = format!("HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}Connection: close\r\n\r\n{answer}", answer.len());
            stream.write_all(response.as_bytes()).unwrap();
        }
    });
    address
}

fn comment(api: &str, body: &std::path::Path, token: &str) -> std::process::Output {
    deadweight()
        .args(["comment", "--repo", "o/r", "--pr", "7", "--body-file"])
        .arg(body)
        .env("GITHUB_TOKEN", token)
        .env("GITHUB_API_URL", api)
        .output()
        .unwrap()
}

#[test]
fn first_run_creates_the_comment_and_later_runs_update_it() {
    let state = Arc::new(Mutex::new(State::default()));
    // three comments by others: the listing spans two pages
    state.lock().unwrap().comments = vec![
        (1, "LGTM".into()),
        (2, "nit: naming".into()),
        (3, "ship it".into()),
    ];
    let api = serve(state.clone());
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("comment.md");
    std::fs::write(
        &body,
        "<!-- deadweight:orders.zip -->\n### deadweight: orders.zip ▲ +1.2 MiB\n",
    )
    .unwrap();

    let out = comment(&api, &body, "s3cr3t-token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("created comment 1003"));

    std::fs::write(
        &body,
        "<!-- deadweight:orders.zip -->\n### deadweight: orders.zip ▼ −0.4 MiB\n",
    )
    .unwrap();
    let out = comment(&api, &body, "s3cr3t-token");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("updated comment 1003"));

    let state = state.lock().unwrap();
    let ours: Vec<&(u64, String)> = state
        .comments
        .iter()
        .filter(|(_, b)| b.contains("deadweight:orders.zip"))
        .collect();
    assert_eq!(ours.len(), 1, "nothing duplicated");
    assert!(ours[0].1.contains("−0.4 MiB"));
    let methods: Vec<String> = state
        .received
        .iter()
        .map(|r| format!("{} {}", r.method, r.path.split('?').next().unwrap()))
        .collect();
    assert_eq!(
        methods,
        [
            "GET /repos/o/r/issues/7/comments",
            "GET /repos/o/r/issues/7/comments",
            "POST /repos/o/r/issues/7/comments",
            "GET /repos/o/r/issues/7/comments",
            "GET /repos/o/r/issues/7/comments",
            "PATCH /repos/o/r/issues/comments/1003",
        ]
    );
    assert!(state
        .received
        .iter()
        .all(|r| r.authorization == "Bearer s3cr3t-token"));
    let patch: serde_json::Value =
        serde_json::from_str(&state.received.last().unwrap().body).unwrap();
    assert!(patch["body"]
        .as_str()
        .unwrap()
        .starts_with("<!-- deadweight:orders.zip -->"));
}

#[test]
fn rate_limits_are_waited_out_and_errors_are_clear_without_the_token() {
    let state = Arc::new(Mutex::new(State::default()));
    let api = serve(state.clone());
    let dir = tempfile::tempdir().unwrap();
    let body = dir.path().join("comment.md");
    std::fs::write(&body, "### no marker yet\n").unwrap();

    state.lock().unwrap().fail_next = vec![429];
    let out = comment(&api, &body, "tok-123");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // a body without a marker gets the default one
    assert!(state.lock().unwrap().comments[0]
        .1
        .starts_with("<!-- deadweight:report -->\n"));

    for (code, expected) in [
        (401, "rejected the token (HTTP 401)"),
        (404, "not found (HTTP 404)"),
        (403, "(HTTP 403)"),
    ] {
        state.lock().unwrap().fail_next = vec![code];
        let out = comment(&api, &body, "tok-123");
        assert_eq!(out.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains("tok-123"), "the token leaked: {stderr}");
    }

    let out = deadweight()
        .args(["comment", "--repo", "o/r", "--pr", "7", "--body-file"])
        .arg(&body)
        .env_remove("GITHUB_TOKEN")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("GITHUB_TOKEN is not set"));
}
