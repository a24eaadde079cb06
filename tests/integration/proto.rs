//! The `.proto` text made from the trait.

use crate::support::lab::{LabImpl, LabServer};

#[test]
fn the_proto_file_lists_the_service_and_every_message_it_uses() {
    assert_eq!(
        LabServer::<LabImpl>::proto_file(),
        include_str!("data/lab.proto")
    );
}

#[test]
fn the_descriptor_lists_methods_and_routes() {
    let descriptor = LabServer::<LabImpl>::descriptor();
    assert_eq!(descriptor.full_name(), "test.v1.Lab");
    let routes: Vec<(&str, &str, &str, String)> = descriptor
        .methods
        .iter()
        .map(|m| {
            (
                m.name,
                m.rust_name,
                m.http[0].method.as_str(),
                m.http[0].path.clone(),
            )
        })
        .collect();
    assert_eq!(
        routes,
        [
            ("Echo", "echo", "POST", "/test.v1/lab/echo".to_owned()),
            ("Fail", "fail", "POST", "/test.v1/lab/fail".to_owned()),
            ("Whoami", "whoami", "POST", "/test.v1/lab/whoami".to_owned()),
            ("Greet", "say", "POST", "/custom/greet".to_owned()),
        ]
    );
    let everything = &descriptor.messages[0];
    let int64 = everything
        .fields
        .iter()
        .find(|f| f.name == "int64_value")
        .expect("field");
    assert_eq!((int64.json_name, int64.tag), ("int64Value", 4));
}
