//! The generated tonic client against the generated tonic server.

use protoapi::{Code, Limits};

use crate::support::TestServer;
use crate::support::lab::impostor::ImpostorClient;
use crate::support::lab::{Child, Empty, Everything, LabImpl, LabServer, lab_client, lab_server};

#[tokio::test]
async fn renamed_rpc_answers_with_unicode_intact() {
    let server = lab_server().await;
    let client = lab_client(&server).await;
    let reply = client
        .say(Child {
            name: "火锅".into(),
            age: 41,
        })
        .await
        .expect("say")
        .into_inner();
    assert_eq!(
        reply,
        Child {
            name: "hello 火锅".into(),
            age: 42
        }
    );
}

#[tokio::test]
async fn an_unknown_method_is_unimplemented() {
    let server = lab_server().await;
    let client = ImpostorClient::connect(server.url(""))
        .await
        .expect("connect");
    let status = client.missing(Empty).await.expect_err("no such method");
    assert_eq!(status.code(), Code::Unimplemented);
    assert_eq!(status.message(), "unknown method /test.v1.Lab/Missing");
}

#[tokio::test]
async fn a_message_over_the_limit_is_refused() {
    let builder = protoapi::Server::builder()
        .limits(Limits::default().body(1024))
        .add(LabServer::new(LabImpl));
    let server = TestServer::start(builder).await;
    let client = crate::support::lab::LabClient::connect(server.url(""))
        .await
        .expect("connect");

    let small = Everything {
        text: "x".repeat(1000),
        ..Everything::default()
    };
    assert_eq!(
        client
            .echo(small.clone())
            .await
            .expect("under the limit")
            .into_inner(),
        small
    );

    let large = Everything {
        text: "x".repeat(2000),
        ..Everything::default()
    };
    let status = client.echo(large).await.expect_err("over the limit");
    assert_eq!(status.code(), Code::OutOfRange);
    assert_eq!(
        status.message(),
        "Error, decoded message length too large: found 2003 bytes, the limit is: 1024 bytes"
    );
}

#[tokio::test]
async fn calls_from_many_tasks_share_one_client() {
    let server = lab_server().await;
    let client = lab_client(&server).await;
    let mut tasks = Vec::new();
    for i in 0..50 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            client
                .say(Child {
                    name: format!("n{i}"),
                    age: i,
                })
                .await
                .map(|r| r.into_inner())
        }));
    }
    for (i, task) in tasks.into_iter().enumerate() {
        let reply = task.await.expect("task").expect("say");
        assert_eq!(
            reply,
            Child {
                name: format!("hello n{i}"),
                age: i as i64 + 1
            }
        );
    }
}
