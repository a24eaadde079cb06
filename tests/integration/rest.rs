//! Verbs, path and query binding, forms, status, limits, base paths, envelopes, path generators.

use crate::support::rest::{
    InternalClient, InternalImpl, InternalServer, Item, ItemsImpl, ItemsServer, LegacyImpl,
    LegacyServer,
};
use crate::support::{TestServer, post_json, send};

async fn items_server() -> TestServer {
    TestServer::start(protoapi::Server::builder().add(ItemsServer::new(ItemsImpl))).await
}

fn request(method: &str, url: String) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .request(method.parse().expect("method"), url)
        .header("x-verb", method)
}

#[tokio::test]
async fn get_binds_path_and_query() {
    let server = items_server().await;
    let answer = send(request(
        "GET",
        server.url("/items/7?name=%E7%81%AB%E9%94%85&tags=a&tags=b&size=-3&color=BLUE&filter.field=age&filter.desc=true&unknown=1"),
    ))
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({
            "id": "7", "name": "火锅", "tags": ["a", "b"], "size": -3, "color": "BLUE",
            "filter": {"field": "age", "desc": true}, "verb": "GET"
        })
    );
}

#[tokio::test]
async fn head_answers_where_get_does() {
    let server = items_server().await;
    let response = reqwest::Client::new()
        .head(server.url("/items/7"))
        .send()
        .await
        .expect("head");
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(response.text().await.expect("body"), "");
}

#[tokio::test]
async fn every_verb_reaches_its_method() {
    let server = items_server().await;
    for (verb, status) in [("PUT", 201), ("PATCH", 201), ("DELETE", 200)] {
        let answer = send(
            request(verb, server.url("/items/9?name=q"))
                .header("content-type", "application/json")
                .body(if verb == "DELETE" {
                    ""
                } else {
                    r#"{"size": 4}"#
                }),
        )
        .await;
        assert_eq!(answer.status, status, "{verb}: {}", answer.body);
        let expected = if verb == "DELETE" {
            serde_json::json!({"id": "9", "name": "q", "verb": "DELETE"})
        } else {
            serde_json::json!({"id": "9", "name": "q", "size": 4, "verb": verb})
        };
        assert_eq!(answer.json(), expected, "{verb}");
    }
    // One method at two verbs on one path.
    let answer = send(request("GET", server.url("/items?name=g"))).await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, serde_json::json!({"name": "g", "verb": "GET"}))
    );
    let answer = send(request("POST", server.url("/items")).body(r#"{"name":"p"}"#)).await;
    assert_eq!(
        (answer.status, answer.json()),
        (200, serde_json::json!({"name": "p", "verb": "POST"}))
    );
}

#[tokio::test]
async fn path_wins_over_body_and_body_over_query() {
    let server = items_server().await;
    let answer = send(
        request("PUT", server.url("/items/5?id=1&name=query&tags=q"))
            .header("content-type", "application/json")
            .body(r#"{"id": "2", "name": "body"}"#),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({"id": "5", "name": "body", "tags": ["q"], "verb": "PUT"})
    );
}

#[tokio::test]
async fn rest_parameters_take_the_rest_of_the_path() {
    let server = items_server().await;
    let answer = send(request("GET", server.url("/files/a/b%20c/d.txt"))).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({"rest": "a/b c/d.txt", "verb": "GET"})
    );
}

#[tokio::test]
async fn bad_path_and_query_values_are_400_naming_them() {
    let server = items_server().await;
    let cases = [
        (
            "/items/abc",
            "invalid path parameter `id`: `abc` is not an unsigned 64-bit integer",
        ),
        (
            "/items/-1",
            "invalid path parameter `id`: `-1` is not an unsigned 64-bit integer",
        ),
        (
            "/items/1?size=big",
            "invalid query parameter `size`: `big` is not a 32-bit integer",
        ),
        (
            "/items/1?color=GREEN",
            "invalid query parameter `color`: unknown value `GREEN` of enum Color, expected one of UNSET, RED, BLUE",
        ),
        (
            "/items/1?filter=x",
            "invalid query parameter `filter`: the field is a message: set its fields as `field.subfield`",
        ),
        (
            "/items/1?name.first=x",
            "invalid query parameter `name.first`: the field is not a message, so it has no sub-fields",
        ),
        (
            "/items/1?filter.desc=maybe",
            "invalid query parameter `filter.desc`: `maybe` is not a bool (true or false)",
        ),
    ];
    for (path, message) in cases {
        let answer = send(request("GET", server.url(path))).await;
        assert_eq!(answer.status, 400, "{path}");
        assert_eq!(
            answer.json(),
            serde_json::json!({"code": "invalid_argument", "message": message, "details": []}),
            "{path}"
        );
    }
}

#[tokio::test]
async fn wrong_verbs_list_every_allowed_one() {
    let server = items_server().await;
    let answer = send(request("POST", server.url("/items/1"))).await;
    assert_eq!(answer.status, 405);
    assert_eq!(answer.headers["allow"], "GET, HEAD, PUT, PATCH, DELETE");
    assert_eq!(
        answer.json()["message"],
        "method POST is not allowed on /items/1; allowed: GET, HEAD, PUT, PATCH, DELETE"
    );
}

#[tokio::test]
async fn urlencoded_forms_bind_with_the_query_and_path() {
    let server = items_server().await;
    let answer = send(
        request("POST", server.url("/forms/3?tags=from-query"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("name=%E6%98%9F%E9%99%85%E7%A9%BF%E8%B6%8A.txt&tags=x&tags=y&checked=on&color=1&id=99"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(
        answer.json(),
        serde_json::json!({"id": "3", "name": "星际穿越.txt", "tags": ["from-query", "x", "y"], "checked": true, "color": "RED"})
    );

    let answer = send(
        request("POST", server.url("/forms/3"))
            .header("content-type", "application/json")
            .body("{}"),
    )
    .await;
    assert_eq!(answer.status, 415);
    assert_eq!(
        answer.json()["message"],
        "unsupported content type `application/json`: this method accepts application/x-www-form-urlencoded or multipart/form-data"
    );

    let answer = send(
        request("POST", server.url("/forms/3"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("checked=maybe"),
    )
    .await;
    assert_eq!(answer.status, 400);
    assert_eq!(
        answer.json()["message"],
        "invalid form field `checked`: `maybe` is not a bool (true or false)"
    );
}

#[tokio::test]
async fn a_method_limit_overrides_the_server_limit() {
    let server = items_server().await;
    let answer = post_json(&server.url("/rest/items/small"), r#"{"name": "fits"}"#).await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    let answer = post_json(
        &server.url("/rest/items/small"),
        &format!(r#"{{"name": "{}"}}"#, "x".repeat(64)),
    )
    .await;
    assert_eq!(answer.status, 413);
    assert_eq!(
        answer.json()["message"],
        "request body is larger than the limit of 64 bytes"
    );
}

#[tokio::test]
async fn base_path_envelope_and_http_only() {
    let builder = protoapi::Server::builder()
        .add(LegacyServer::new(LegacyImpl))
        .add(InternalServer::new(InternalImpl));
    let server = TestServer::start(builder).await;

    let answer = post_json(&server.url("/api/echo"), r#"{"name": "a"}"#).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"code":0,"data":{"name":"a"}}"#)
    );
    let answer = send(reqwest::Client::new().get(server.url("/api/items/0"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (404, r#"{"code":5,"message":"no item 0"}"#)
    );
    let answer = send(reqwest::Client::new().get(server.url("/api/items/x"))).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (
            400,
            r#"{"code":3,"message":"invalid path parameter `id`: `x` is not an unsigned 64-bit integer"}"#
        )
    );

    // `Legacy` has no gRPC side; `Internal` has no HTTP side.
    let answer = post_json(&server.url("/internal/internal/ping"), "{}").await;
    assert_eq!(answer.status, 404);
    let client = InternalClient::connect(server.url(""))
        .await
        .expect("connect");
    let reply = client
        .ping(Item {
            id: 1,
            ..Item::default()
        })
        .await
        .expect("ping")
        .into_inner();
    assert_eq!(reply.id, 1);
    // A gRPC call of `Legacy` finds no service, as a call of a service nobody added does.
    let grpc = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .expect("client");
    for path in ["/legacy.Legacy/Echo", "/nobody.Nobody/Echo"] {
        let response = grpc
            .post(server.url(path))
            .header("content-type", "application/grpc")
            .header("te", "trailers")
            .body(crate::support::envelope(0, b"\x08\x01").to_vec())
            .send()
            .await
            .expect("answer");
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let header = |name| response.headers().get(name).and_then(|v| v.to_str().ok());
        assert_eq!(header("grpc-status"), Some("12"), "{path}");
        assert_eq!(
            header("grpc-message"),
            Some(format!("unknown%20service%20or%20method%20{path}").as_str()),
            "{path}"
        );
    }
    let proto = protoapi::Server::builder()
        .add(LegacyServer::new(LegacyImpl))
        .add(InternalServer::new(InternalImpl))
        .proto_files()
        .into_iter()
        .map(|f| f.content)
        .collect::<String>();
    assert!(
        proto.contains("service Internal {") && !proto.contains("service Legacy {"),
        "{proto}"
    );
}

#[tokio::test]
async fn generated_paths_take_prefixes_and_suffixes() {
    let builder = protoapi::Server::builder()
        .package_prefix("v1.")
        .service_suffix("s")
        .method_prefix("do_")
        .add(ItemsServer::new(ItemsImpl));
    let server = TestServer::start(builder).await;
    let answer = post_json(&server.url("/v1.rest/itemss/do_small"), r#"{"name": "x"}"#).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"name":"x"}"#)
    );

    struct Flat;
    impl protoapi::HttpPathGenerator for Flat {
        fn generate(&self, _package: &str, service: &str, method: &str) -> String {
            format!("/{service}.{method}")
        }
    }
    let server = TestServer::start(
        protoapi::Server::builder()
            .path_generator(Flat)
            .add(ItemsServer::new(ItemsImpl)),
    )
    .await;
    let answer = post_json(&server.url("/Items.small"), r#"{"name": "y"}"#).await;
    assert_eq!(
        (answer.status, answer.body.as_str()),
        (200, r#"{"name":"y"}"#)
    );
}

#[tokio::test]
async fn routes_that_differ_only_in_parameter_names_are_refused() {
    let error = protoapi::Server::builder()
        .add(ItemsServer::new(ItemsImpl))
        .add(crate::support::clash::ClashServer::new(
            crate::support::clash::ClashImpl,
        ))
        .into_router()
        .expect_err("conflict");
    assert_eq!(
        error.to_string(),
        "conflicting routes: /items/{key} of other.Clash/Get and /items/{id} of rest.Items/GetItem differ only in parameter names"
    );
}
