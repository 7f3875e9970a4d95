//! `/playground/openapi.json` behind the session, and the document against the running
//! server: every documented operation exists there, and its documented 400 is what the
//! server answers to an empty request.

use serde_json::{Value, json};

use crate::browser::Browser;
use crate::helpers::*;

#[tokio::test]
async fn the_document_needs_a_session_and_matches_the_server() {
    let app = spawn_app().await;
    let mut b = Browser::new(&app);
    let anon = b.get("/playground/openapi.json", "application/json").await;
    assert_eq!(anon.status, 401, "{:?}", anon.body);

    app.create_user_with_password("oa", "Openapi-pass-42").await;
    assert_eq!(b.login("oa", "Openapi-pass-42").await.status, 200);
    let r = b.get_json("/playground/openapi.json").await;
    assert_eq!(r.status, 200, "{:?}", r.body);
    let doc = r.body;
    assert_eq!(doc["openapi"], "3.1.0");

    let api = reqwest::Client::new();
    let mut checked = 0;
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let url = format!("{}{}", app.base, path.replace("{ticker}", "NSE:SBIN"));
            let res = match method.as_str() {
                "post" => api
                    .post(&url)
                    .header("content-type", "application/json")
                    .body("{}")
                    .send()
                    .await
                    .unwrap(),
                "get" => api.get(&url).send().await.unwrap(),
                other => panic!("{other} {path}"),
            };
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            let want = &op["responses"]["400"]["content"]["application/json"]["example"];
            assert_eq!(status, 400, "{method} {path}: {body}");
            assert_eq!(&body, want, "{method} {path}");
            checked += 1;
        }
    }
    assert!(checked >= 29, "{checked}");

    // The example bodies come from the collection, with the key left out.
    let text = doc.to_string();
    assert!(!text.contains("{{apikey}}"));
    let place = &doc["paths"]["/api/v1/placeorder"]["post"]["requestBody"]["content"]["application/json"]
        ["example"];
    assert_eq!(place["apikey"], json!("YOUR_OPENALGO_API_KEY"));
    app.stop().await;
}
