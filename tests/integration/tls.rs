//! TLS (feature `tls`): HTTPS and gRPC over TLS on one port, HTTP/2 or HTTP/1.1 by ALPN.

use protoapi::{Server, TlsConfig};
use serde_json::json;

use crate::support::streams::{Num, StreamsClient, StreamsImpl, StreamsServer};
use crate::support::{TestServer, send};

/// A self-signed certificate for `localhost`: (certificate PEM, key PEM).
fn certificate() -> (String, String) {
    let certified =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).expect("certificate");
    (certified.cert.pem(), certified.signing_key.serialize_pem())
}

async fn tls_server(cert: &str, key: &str) -> TestServer {
    let tls = TlsConfig::from_pem(cert.as_bytes(), key.as_bytes()).expect("TLS configuration");
    TestServer::start(
        Server::builder()
            .add(StreamsServer::new(StreamsImpl::default()))
            .tls(tls),
    )
    .await
}

fn https_client(cert: &str, http1_only: bool) -> reqwest::Client {
    let builder = reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(cert.as_bytes()).expect("cert"));
    let builder = if http1_only {
        builder.http1_only()
    } else {
        builder
    };
    builder.build().expect("client")
}

#[tokio::test]
async fn https_negotiates_http2_or_http1_by_alpn() {
    let (cert, key) = certificate();
    let server = tls_server(&cert, &key).await;
    let url = format!("https://localhost:{}/lab/echo?n=4", server.addr.port());
    for (http1_only, version) in [
        (false, reqwest::Version::HTTP_2),
        (true, reqwest::Version::HTTP_11),
    ] {
        let response = https_client(&cert, http1_only)
            .get(&url)
            .send()
            .await
            .expect("HTTPS request");
        assert_eq!(response.version(), version);
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&response.bytes().await.expect("body"))
                .expect("json"),
            json!({"n": 8, "tag": "http"})
        );
    }
}

#[tokio::test]
async fn grpc_and_connect_over_tls() {
    let (cert, key) = certificate();
    let server = tls_server(&cert, &key).await;
    let tls = tonic::transport::ClientTlsConfig::new()
        .ca_certificate(tonic::transport::Certificate::from_pem(&cert))
        .domain_name("localhost");
    let channel =
        protoapi::Channel::from_shared(format!("https://localhost:{}", server.addr.port()))
            .expect("uri")
            .tls_config(tls)
            .expect("tls config")
            .connect()
            .await
            .expect("connect over TLS");
    let answer = StreamsClient::new(channel)
        .echo(Num {
            n: 21,
            tag: "tls".into(),
        })
        .await
        .expect("call")
        .into_inner();
    assert_eq!(
        answer,
        Num {
            n: 42,
            tag: "tls/grpc".into()
        }
    );

    let answer = send(
        https_client(&cert, false)
            .post(format!(
                "https://localhost:{}/lab.streams.Streams/Echo",
                server.addr.port()
            ))
            .header("content-type", "application/json")
            .body(r#"{"n": 1}"#),
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.json(), json!({"n": 2, "tag": "connect"}));
}

#[tokio::test]
async fn a_plain_text_client_is_refused_and_the_server_goes_on() {
    let (cert, key) = certificate();
    let server = tls_server(&cert, &key).await;
    let plain = reqwest::Client::new()
        .get(server.url("/lab/echo?n=1"))
        .send()
        .await;
    assert!(plain.is_err(), "a plain HTTP request got an answer");
    let response = https_client(&cert, false)
        .get(format!(
            "https://localhost:{}/lab/echo?n=1",
            server.addr.port()
        ))
        .send()
        .await
        .expect("HTTPS still served");
    assert_eq!(response.status().as_u16(), 200);
}

#[test]
fn unreadable_pem_is_a_clear_error() {
    let (cert, key) = certificate();
    let error = TlsConfig::from_pem(b"", key.as_bytes()).expect_err("no certificate");
    assert_eq!(
        error.to_string(),
        "TLS configuration: no certificate in the certificate PEM"
    );
    let error = TlsConfig::from_pem(cert.as_bytes(), b"not a key").expect_err("no key");
    assert_eq!(
        error.to_string(),
        "TLS configuration: unreadable private key PEM: no items found"
    );
    // The key of another certificate.
    let (_, other_key) = certificate();
    let error = TlsConfig::from_pem(cert.as_bytes(), other_key.as_bytes()).expect_err("mismatch");
    assert_eq!(
        error.to_string(),
        "TLS configuration: the private key does not match the certificate"
    );
}
