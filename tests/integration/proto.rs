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

mod standalone {
    //! The one `.proto` file that compiles alone (`standalone_proto_file`, the examples'
    //! `--print-proto`): protoapi's own messages declared in the service's package.

    use std::collections::HashMap;

    use prost_types::{DescriptorProto, FileDescriptorProto};
    use protoapi::Status;
    use protoapi::schema::ServiceDescriptor;

    use crate::support::examples::example;
    use crate::support::files::{FilesImpl, FilesServer};
    use crate::support::lab::{LabImpl, LabServer};
    use crate::support::streams::{StreamsImpl, StreamsServer};
    use crate::support::uploads::{UploadsImpl, UploadsServer};

    /// A message that takes the name of protoapi's `File`, which it holds.
    #[protoapi::message]
    pub struct File {
        pub file: protoapi::File,
        pub note: String,
    }

    #[protoapi::service(package = "shelf")]
    pub trait Shelf {
        async fn put(&self, req: File) -> Result<protoapi::File, Status>;
    }

    /// Compiles `text` as the only file of an empty directory: nothing to import but the
    /// well-known types protox knows.
    fn compile_alone(name: &str, text: &str) -> FileDescriptorProto {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, text).expect("write");
        let mut compiler = protox::Compiler::new([dir.path()]).expect("compiler");
        compiler.include_source_info(false);
        if let Err(error) = compiler.open_file(name) {
            panic!("{name} does not compile alone: {error}\n{text}");
        }
        let set = compiler.file_descriptor_set();
        assert_eq!(set.file.len(), 1, "{name} imports files");
        set.file.into_iter().next().expect("the file")
    }

    fn descriptors() -> Vec<ServiceDescriptor> {
        vec![
            StreamsServer::<StreamsImpl>::descriptor(),
            LabServer::<LabImpl>::descriptor(),
            UploadsServer::<UploadsImpl>::descriptor(),
            FilesServer::<FilesImpl>::descriptor(),
            ShelfServer::<()>::descriptor(),
        ]
    }

    #[test]
    fn the_one_file_compiles_alone_into_its_descriptor() {
        for service in descriptors() {
            let compiled =
                compile_alone(&service.proto_file_name(), &service.standalone_proto_file());
            assert_eq!(
                compiled,
                service.standalone_file_descriptor(),
                "{}",
                service.full_name()
            );
        }
    }

    /// Every message of the one file is, field for field, the message the server serves under
    /// its own name (`.files.File` is the server's `.protoapi.File`): the same wire format.
    #[test]
    fn the_one_file_describes_the_wire_types_the_server_serves() {
        for service in descriptors() {
            let alone = service.standalone_file_descriptor();
            let served = service.file_descriptors();
            let package = format!(".{}.", service.package);
            let own: HashMap<String, &DescriptorProto> = served[0]
                .message_type
                .iter()
                .map(|m| (format!("{package}{}", m.name()), m))
                .collect();
            let builtins: HashMap<String, &DescriptorProto> = served
                .get(1)
                .map(|types| types.message_type.iter().collect::<Vec<_>>())
                .unwrap_or_default()
                .into_iter()
                .map(|m| (format!(".protoapi.{}", m.name()), m))
                .collect();
            // A name of the one file as the server names it: its own, or protoapi's `X` for a
            // message declared as `X` (or `ProtoapiX`, `ProtoapiX2`, ... on a clash).
            let served_name = |name: &str| -> String {
                let top = name
                    .strip_prefix(&package)
                    .and_then(|rest| rest.split('.').next())
                    .unwrap_or_default();
                let enum_named = |e: &prost_types::EnumDescriptorProto| e.name() == top;
                if own.contains_key(&format!("{package}{top}"))
                    || served[0].enum_type.iter().any(enum_named)
                {
                    return name.to_owned();
                }
                let bare = top
                    .strip_prefix("Protoapi")
                    .map(|rest| rest.trim_end_matches(|c: char| c.is_ascii_digit()));
                for candidate in [Some(top), bare].into_iter().flatten() {
                    if builtins.contains_key(&format!(".protoapi.{candidate}")) {
                        return name.replacen(
                            &format!("{package}{top}"),
                            &format!(".protoapi.{candidate}"),
                            1,
                        );
                    }
                }
                panic!("{name} is not a type the server serves");
            };
            let renamed = |message: &DescriptorProto| -> DescriptorProto {
                let mut message = message.clone();
                let full = served_name(&format!("{package}{}", message.name()));
                message.name = full.rsplit('.').next().map(str::to_owned);
                for field in &mut message.field {
                    if let Some(type_name) = &mut field.type_name {
                        *type_name = served_name(type_name);
                    }
                }
                message
            };

            assert!(alone.dependency.is_empty());
            assert_eq!(alone.enum_type, served[0].enum_type);
            for message in &alone.message_type {
                let full = served_name(&format!("{package}{}", message.name()));
                let theirs = own.get(&full).or_else(|| builtins.get(&full));
                assert_eq!(Some(&renamed(message)), theirs.copied(), "{full}");
            }
            let methods = |file: &FileDescriptorProto| file.service[0].method.clone();
            let mut ours = methods(&alone);
            for method in &mut ours {
                method.input_type = method.input_type.as_deref().map(served_name);
                method.output_type = method.output_type.as_deref().map(served_name);
            }
            assert_eq!(ours, methods(&served[0]), "{}", service.full_name());
        }
    }

    #[test]
    fn a_message_named_like_protoapis_gets_the_protoapi_prefix() {
        let text = ShelfServer::<()>::descriptor().standalone_proto_file();
        for line in [
            "  rpc Put(File) returns (ProtoapiFile);",
            "message File {",
            "  ProtoapiFile file = 1;",
            "//   ProtoapiFile: protoapi.File",
            "message ProtoapiFile {",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "missing {line:?} in\n{text}"
            );
        }
    }

    /// What every example prints with `--print-proto` compiles as the only file there is.
    #[test]
    fn every_example_prints_a_proto_that_compiles_alone() {
        for name in [
            "greeter", "dating", "chat", "student", "tasks", "auth", "socketio", "numbers",
        ] {
            let output = std::process::Command::new(example(name))
                .arg("--print-proto")
                .output()
                .expect("run example");
            assert!(output.status.success(), "{name}");
            let text = String::from_utf8(output.stdout).expect("utf-8");
            let file = compile_alone(&format!("{name}.proto"), &text);
            assert!(!file.service.is_empty(), "{name}");
        }
    }
}
