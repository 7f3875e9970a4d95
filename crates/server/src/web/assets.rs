//! The embedded `web/` directory: static files and page composition. Pages are a layout
//! (`web/layout.html` with navigation, or `web/bare.html` for login and setup) around a
//! page fragment from `web/pages/`; the page's script is `web/static/js/pages/<name>.js`.
//! No user data is ever written into HTML: pages fetch it over the session.

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

#[derive(rust_embed::Embed)]
#[folder = "../../web/"]
struct Web;

/// A page of the UI.
#[derive(Debug, Clone, Copy)]
pub struct Page {
    pub name: &'static str,
    pub title: &'static str,
    /// With the navigation layout (logged-in pages) or the bare one.
    pub nav: bool,
}

pub const APIKEY: Page = Page {
    name: "apikey",
    title: "API Key",
    nav: true,
};
pub const ACCOUNT: Page = Page {
    name: "account",
    title: "Paper Account",
    nav: true,
};
pub const TRADINGVIEW: Page = Page {
    name: "tradingview",
    title: "TradingView",
    nav: true,
};
pub const STRATEGY: Page = Page {
    name: "strategy",
    title: "Strategies",
    nav: true,
};
pub const SECURITY: Page = Page {
    name: "security",
    title: "Security",
    nav: true,
};
pub const ACTION_CENTER: Page = Page {
    name: "action-center",
    title: "Action Center",
    nav: true,
};
pub const PLAYGROUND: Page = Page {
    name: "playground",
    title: "API Playground",
    nav: true,
};
pub const LOGIN: Page = Page {
    name: "login",
    title: "Log in",
    nav: false,
};
pub const SETUP: Page = Page {
    name: "setup",
    title: "Create the admin account",
    nav: false,
};
pub const SETUP_INVALID: Page = Page {
    name: "setup-invalid",
    title: "Setup link not valid",
    nav: false,
};

fn text(path: &str) -> String {
    Web::get(path)
        .map(|f| String::from_utf8_lossy(&f.data).into_owned())
        .unwrap_or_else(|| panic!("web/{path} is embedded at compile time"))
}

/// The page's full HTML.
pub fn render(page: Page) -> String {
    let layout = text(if page.nav { "layout.html" } else { "bare.html" });
    layout
        .replace("{{title}}", page.title)
        .replace("{{page}}", page.name)
        .replace("{{content}}", &text(&format!("pages/{}.html", page.name)))
}

pub fn page(page: Page) -> Response {
    Html(render(page)).into_response()
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("json") => "application/json",
        Some("html") => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /static/<path>`: files under `web/static/`.
pub async fn static_file(Path(path): Path<String>) -> Response {
    match Web::get(&format!("static/{path}")) {
        Some(f) => {
            let mut res = f.data.into_owned().into_response();
            let h = res.headers_mut();
            h.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(content_type(&path)),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            res
        }
        None => (StatusCode::NOT_FOUND, "Not found").into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_page_renders_without_inline_script_or_style() {
        for p in [
            APIKEY,
            ACCOUNT,
            TRADINGVIEW,
            SECURITY,
            ACTION_CENTER,
            PLAYGROUND,
            LOGIN,
            SETUP,
            SETUP_INVALID,
        ] {
            let html = render(p);
            assert!(!html.contains("{{"), "{}: unreplaced placeholder", p.name);
            assert!(html.contains(&format!("/static/js/pages/{}.js", p.name)));
            assert!(Web::get(&format!("static/js/pages/{}.js", p.name)).is_some());
            // Every <script> has a src; no style attributes or blocks, no inline handlers.
            assert_eq!(
                html.matches("<script").count(),
                html.matches("<script src=").count()
                    + html.matches("<script type=\"module\" src=").count(),
                "{}",
                p.name
            );
            assert!(
                !html.contains("<style") && !html.contains(" style="),
                "{}",
                p.name
            );
            assert!(!html.contains(" onclick="), "{}", p.name);
        }
    }
}
