//! The one cookie-keeping test client of the web UI's session routes: cookies, the CSRF
//! header when it has a token, JSON in and out. `send` keeps the cookies a response sets;
//! `call` leaves them as they are, so clones can run requests concurrently.

use std::collections::HashMap;

use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};

use crate::helpers::TestApp;

/// A minimal browser: keeps cookies, sends the CSRF header when it has a token.
#[derive(Clone)]
pub(crate) struct Browser {
    pub(crate) base: String,
    pub(crate) client: reqwest::Client,
    pub(crate) cookies: HashMap<String, String>,
    pub(crate) csrf: Option<String>,
}

pub(crate) struct Res {
    pub(crate) status: u16,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Value,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    /// A browser of the server at `base` through `client` (e.g. one that trusts a test CA).
    pub(crate) fn over(base: String, client: reqwest::Client) -> Self {
        Self {
            base,
            client,
            cookies: HashMap::new(),
            csrf: None,
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub(crate) async fn send(&mut self, req: reqwest::RequestBuilder) -> Res {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("cookie", self.cookie_header())
        };
        let res = req.send().await.unwrap();
        let status = res.status().as_u16();
        let headers = res.headers().clone();
        for sc in headers.get_all(SET_COOKIE) {
            let sc = sc.to_str().unwrap();
            let (pair, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let (k, v) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(k);
            } else {
                self.cookies.insert(k.to_string(), v.to_string());
            }
        }
        let text = res.text().await.unwrap();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Res {
            status,
            headers,
            body,
        }
    }

    pub(crate) async fn get(&mut self, path: &str, accept: &str) -> Res {
        let req = self
            .client
            .get(format!("{}{path}", self.base))
            .header("accept", accept);
        self.send(req).await
    }

    pub(crate) async fn get_json(&mut self, path: &str) -> Res {
        self.get(path, "application/json").await
    }

    pub(crate) async fn fetch_csrf(&mut self) -> String {
        let r = self.get_json("/auth/csrf-token").await;
        assert_eq!(r.status, 200, "{:?}", r.body);
        let t = r.body["csrf_token"].as_str().unwrap().to_string();
        self.csrf = Some(t.clone());
        t
    }

    pub(crate) async fn post(&mut self, path: &str, body: &Value) -> Res {
        self.post_raw(path, body.to_string()).await
    }

    pub(crate) async fn post_raw(&mut self, path: &str, body: String) -> Res {
        let mut req = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(body);
        if let Some(t) = &self.csrf {
            req = req.header("x-csrftoken", t);
        }
        self.send(req).await
    }

    pub(crate) async fn login(&mut self, user: &str, password: &str) -> Res {
        self.fetch_csrf().await;
        let r = self
            .post(
                "/auth/login",
                &json!({"username": user, "password": password}),
            )
            .await;
        if r.status == 200 {
            // The session has its own token.
            self.fetch_csrf().await;
        }
        r
    }

    /// A request with the cookies, JSON accepted, the CSRF header when asked for and a
    /// token is known, and `body` as JSON.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        csrf: bool,
    ) -> reqwest::RequestBuilder {
        let mut req = self
            .client
            .request(method.parse().unwrap(), format!("{}{path}", self.base))
            .header("accept", "application/json");
        if !self.cookies.is_empty() {
            req = req.header("cookie", self.cookie_header());
        }
        if csrf && let Some(t) = &self.csrf {
            req = req.header("x-csrftoken", t);
        }
        if let Some(b) = body {
            req = req
                .header("content-type", "application/json")
                .body(b.to_string());
        }
        req
    }

    /// Status and JSON body of `method path` with the CSRF token; cookies unchanged.
    pub(crate) async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        let res = self.request(method, path, body, true).send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    pub(crate) fn session(&self) -> Option<&String> {
        self.cookies.get("algogate_session")
    }
}
