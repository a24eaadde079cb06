//! The AsyncAPI 3.0 document of the WebSocket endpoints: a channel per endpoint, an operation
//! per method on it, the frames, served at its path and the same as the builder's.

use serde_json::json;

use crate::support::streams::{StreamsImpl, StreamsServer};
use crate::support::{TestServer, send};

fn builder() -> protoapi::ServerBuilder {
    protoapi::Server::builder()
        .add(StreamsServer::new(StreamsImpl::default()))
        .openapi_info("Streams", "2.0.0")
}

#[tokio::test]
async fn every_websocket_endpoint_is_a_channel_and_every_method_an_operation() {
    let document = builder().asyncapi_document();
    assert_eq!(document["asyncapi"], "3.0.0");
    assert_eq!(document["info"]["title"], "Streams");
    let channels = &document["channels"];
    let addresses: Vec<(&str, &str)> = channels
        .as_object()
        .into_iter()
        .flatten()
        .map(|(id, channel)| (id.as_str(), channel["address"].as_str().unwrap_or_default()))
        .collect();
    assert_eq!(
        addresses,
        [
            ("lab.streams.Streams.Count", "/lab/count"),
            ("lab.streams.Streams.Doubles", "/lab/doubles"),
            ("lab.streams.Streams.Echo", "/lab/echo"),
            ("lab.streams.Streams.Forever", "/lab/forever"),
            ("lab.streams.Streams.Sum", "/lab/sum"),
            ("lab.streams.Streams.socket", "/lab/socket"),
        ]
    );
    let operations = document["operations"].as_object().expect("operations");
    assert_eq!(operations.len(), 10);
    // A method's socket: its call is received, and answered with data or error (and end, for
    // a server stream).
    let count = &document["operations"]["lab.streams.Streams.Count"];
    assert_eq!(count["action"], "receive");
    assert_eq!(count["description"], "1..=n; 13 fails after three items.");
    assert_eq!(
        count["reply"]["messages"],
        json!([
            {"$ref": "#/channels/lab.streams.Streams.Count/messages/Count.answer"},
            {"$ref": "#/channels/lab.streams.Streams.Count/messages/Count.error"},
            {"$ref": "#/channels/lab.streams.Streams.Count/messages/Count.end"},
        ])
    );
    let sum = &document["operations"]["lab.streams.Streams.Sum"];
    assert_eq!(sum["reply"]["messages"].as_array().map(Vec::len), Some(2));
    let call = &channels["lab.streams.Streams.Count"]["messages"]["Count.call"]["payload"];
    assert_eq!(
        call["properties"]["data"],
        json!({"$ref": "#/components/schemas/Num"})
    );
    assert_eq!(call.get("required"), None);
    // The service's socket: each call names its rpc.
    let named = &channels["lab.streams.Streams.socket"]["messages"]["Sum.call"]["payload"];
    assert_eq!(named["properties"]["method"]["const"], "Sum");
    assert_eq!(named["required"], json!(["method"]));
    assert!(
        document["operations"]
            .get("lab.streams.Streams.socket.Doubles")
            .is_some()
    );
    // An error frame's details are left out when there are none.
    let error = &channels["lab.streams.Streams.Echo"]["messages"]["Echo.error"]["payload"];
    assert_eq!(
        error["properties"]["error"]["required"],
        json!(["code", "message"])
    );
    assert!(document["components"]["schemas"]["Num"].is_object());
}

#[tokio::test]
async fn the_served_document_is_the_builders() {
    let server = TestServer::start(builder().asyncapi("/asyncapi.json")).await;
    let answer = send(reqwest::Client::new().get(server.url("/asyncapi.json"))).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.content_type.as_deref(), Some("application/json"));
    assert_eq!(answer.json(), builder().asyncapi_document());

    let refused =
        |builder: protoapi::ServerBuilder| builder.into_router().err().map(|e| e.to_string());
    assert_eq!(
        refused(builder().openapi("/docs.json").asyncapi("/docs.json")).as_deref(),
        Some(
            "conflicting routes: GET /docs.json is claimed by the OpenAPI document and the AsyncAPI document"
        )
    );
    assert_eq!(
        refused(builder().asyncapi("/lab/echo")).as_deref(),
        Some(
            "conflicting routes: GET /lab/echo is claimed by lab.streams.Streams/Echo and the AsyncAPI document"
        )
    );
}
