//! `deadweight comment`: one sticky pull-request comment. The body carries a
//! hidden marker (`<!-- deadweight:KEY -->`); the comment holding it is
//! updated in place, else a new one is created. The only command that talks
//! to the network.

use std::time::Duration;

use serde_json::Value;
use ureq::Agent;

/// Pages of comments read at most (100 comments each).
const MAX_PAGES: usize = 50;
/// Times a rate-limited request is retried after waiting.
const MAX_RETRIES: usize = 3;
/// Longest wait honoured from a Retry-After header.
const MAX_WAIT: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum CommentError {
    #[error("{0}")]
    Usage(String),
    #[error("GitHub rejected the token (HTTP 401): check GITHUB_TOKEN")]
    Unauthorized,
    #[error("GitHub refused {what} (HTTP 403): the token lacks permission (pull-requests: write or issues: write){detail}")]
    Forbidden { what: String, detail: String },
    #[error("{what}: not found (HTTP 404) — check --repo and --pr, and that the token can see the repository")]
    NotFound { what: String },
    #[error("GitHub's rate limit is exhausted and did not reset after {MAX_RETRIES} waits")]
    RateLimited,
    #[error("{what}: HTTP {status}: {body}")]
    Http {
        what: String,
        status: u16,
        body: String,
    },
    #[error("cannot reach {url}: {message}")]
    Network { url: String, message: String },
    #[error("unexpected answer from GitHub: {0}")]
    Protocol(String),
}

pub struct CommentRequest<'a> {
    pub api: &'a str,
    pub token: &'a str,
    pub repo: &'a str,
    pub pr: u64,
    pub body: &'a str,
    /// Marker key; defaults to the key of the marker already in the body.
    pub key: Option<&'a str>,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Created { id: u64, url: String },
    Updated { id: u64, url: String },
}

/// The marker key a Markdown body already carries.
pub fn marker_key(body: &str) -> Option<&str> {
    let start = body.find("<!-- deadweight:")? + "<!-- deadweight:".len();
    let end = body[start..].find(" -->")?;
    Some(&body[start..start + end])
}

pub fn post_or_update(request: &CommentRequest) -> Result<Outcome, CommentError> {
    let (owner, name) = request
        .repo
        .split_once('/')
        .filter(|(o, n)| !o.is_empty() && !n.is_empty() && !n.contains('/'))
        .ok_or_else(|| {
            CommentError::Usage(format!("--repo {:?}: expected OWNER/NAME", request.repo))
        })?;
    let key = request
        .key
        .or_else(|| marker_key(request.body))
        .unwrap_or("report");
    let marker = format!("<!-- deadweight:{key} -->");
    let body = if request.body.contains(&marker) {
        request.body.to_string()
    } else {
        format!("{marker}\n{}", request.body)
    };
    let api = request.api.trim_end_matches('/');
    let client = Client::new(request.token);

    let mut url = format!(
        "{api}/repos/{owner}/{name}/issues/{}/comments?per_page=100",
        request.pr
    );
    let mut existing: Option<u64> = None;
    for _ in 0..MAX_PAGES {
        let (page, next) = client.send("GET", &url, None, "the pull request's comments")?;
        let comments = page
            .as_array()
            .ok_or_else(|| CommentError::Protocol("the comment list is not an array".into()))?;
        existing = comments
            .iter()
            .find(|c| c["body"].as_str().is_some_and(|b| b.contains(&marker)))
            .and_then(|c| c["id"].as_u64());
        match (existing, next) {
            (Some(_), _) | (None, None) => break,
            (None, Some(next)) => url = next,
        }
    }
    let payload = serde_json::json!({ "body": body }).to_string();
    let (answer, _) = match existing {
        Some(id) => client.send(
            "PATCH",
            &format!("{api}/repos/{owner}/{name}/issues/comments/{id}"),
            Some(&payload),
            "updating the comment",
        )?,
        None => client.send(
            "POST",
            &format!("{api}/repos/{owner}/{name}/issues/{}/comments", request.pr),
            Some(&payload),
            "creating the comment",
        )?,
    };
    let id = answer["id"]
        .as_u64()
        .ok_or_else(|| CommentError::Protocol("no comment id in the answer".into()))?;
    let url = answer["html_url"].as_str().unwrap_or("").to_string();
    Ok(if existing.is_some() {
        Outcome::Updated { id, url }
    } else {
        Outcome::Created { id, url }
    })
}

struct Client<'t> {
    agent: Agent,
    token: &'t str,
}

impl<'t> Client<'t> {
    fn new(token: &'t str) -> Self {
        let agent: Agent = Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(30)))
            .build()
            .into();
        Client { agent, token }
    }

    /// One request with retries on rate limits; returns the JSON body and
    /// the `rel="next"` link when there is one.
    fn send(
        &self,
        method: &str,
        url: &str,
        payload: Option<&str>,
        what: &str,
    ) -> Result<(Value, Option<String>), CommentError> {
        for _ in 0..=MAX_RETRIES {
            let request = http_request(method, url, self.token, payload);
            let mut response = self.agent.run(request).map_err(|e| CommentError::Network {
                url: url.to_string(),
                message: e.to_string(),
            })?;
            let status = response.status().as_u16();
            let header = |name: &str| {
                response
                    .headers()
                    .get(name)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_string)
            };
            let retry_after = header("retry-after").and_then(|v| v.trim().parse::<u64>().ok());
            let remaining = header("x-ratelimit-remaining");
            let next = header("link").and_then(|l| next_link(&l));
            let text = response.body_mut().read_to_string().unwrap_or_default();
            let rate_limited = status == 429
                || (status == 403 && (remaining.as_deref() == Some("0") || retry_after.is_some()));
            if rate_limited {
                let wait = Duration::from_secs(retry_after.unwrap_or(1)).min(MAX_WAIT);
                std::thread::sleep(wait);
                continue;
            }
            return match status {
                200..=299 => {
                    let json = serde_json::from_str(&text)
                        .map_err(|e| CommentError::Protocol(format!("{what}: not JSON ({e})")))?;
                    Ok((json, next))
                }
                401 => Err(CommentError::Unauthorized),
                403 => Err(CommentError::Forbidden {
                    what: what.to_string(),
                    detail: github_message(&text)
                        .map(|m| format!(": {m}"))
                        .unwrap_or_default(),
                }),
                404 => Err(CommentError::NotFound {
                    what: what.to_string(),
                }),
                _ => Err(CommentError::Http {
                    what: what.to_string(),
                    status,
                    body: github_message(&text).unwrap_or_else(|| text.chars().take(200).collect()),
                }),
            };
        }
        Err(CommentError::RateLimited)
    }
}

fn http_request(
    method: &str,
    url: &str,
    token: &str,
    payload: Option<&str>,
) -> ureq::http::Request<Vec<u8>> {
    ureq::http::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", format!("Bearer {token}"))
        .header("Accept", "application/vnd.github+json")
        .header("X-GitHub-Api-Version", "2022-11-28")
        .header(
            "User-Agent",
            concat!("deadweight/", env!("CARGO_PKG_VERSION")),
        )
        .header("Content-Type", "application/json")
        .body(payload.unwrap_or("").as_bytes().to_vec())
        .expect("a request built from valid parts")
}

fn github_message(text: &str) -> Option<String> {
    serde_json::from_str::<Value>(text).ok()?["message"]
        .as_str()
        .map(str::to_string)
}

/// `<https://…?page=2>; rel="next", <…>; rel="last"` → the next URL.
fn next_link(header: &str) -> Option<String> {
    header.split(',').find_map(|part| {
        let (url, rel) = part.split_once(';')?;
        rel.contains("rel=\"next\"").then(|| {
            url.trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_string()
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_and_markers_parse() {
        assert_eq!(
            next_link("<https://api.github.com/x?page=2>; rel=\"next\", <https://api.github.com/x?page=9>; rel=\"last\"").as_deref(),
            Some("https://api.github.com/x?page=2")
        );
        assert_eq!(
            next_link("<https://api.github.com/x?page=1>; rel=\"prev\""),
            None
        );
        assert_eq!(
            marker_key("<!-- deadweight:orders.zip -->\n### …"),
            Some("orders.zip")
        );
    }
}
