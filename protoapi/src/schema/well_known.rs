//! protobuf's well-known types in a service's schema: `google.protobuf.Value`, `Struct` and
//! `ListValue` ([`crate::Value`]), imported from `google/protobuf/struct.proto`, which every
//! protobuf compiler ships; reflection serves its descriptor beside the service's.

use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, FileOptions, MessageOptions, OneofDescriptorProto,
};

use super::ServiceDescriptor;

/// The file of the well-known types protoapi uses.
pub(super) const STRUCT_FILE: &str = "google/protobuf/struct.proto";

/// Whether a message is one of protobuf's well-known types, declared in [`STRUCT_FILE`].
pub(super) fn is_well_known(name: &str) -> bool {
    name.starts_with("google.protobuf.")
}

/// Whether the messages of `service` use the well-known types.
pub(super) fn uses_well_known(service: &ServiceDescriptor) -> bool {
    service.messages.iter().any(|m| is_well_known(m.name))
}

/// The descriptor of `google/protobuf/struct.proto`, as `protoc` makes it.
pub(super) fn struct_file() -> FileDescriptorProto {
    let field =
        |name: &str, json: &str, number: i32, label: Label, ty: Type| FieldDescriptorProto {
            name: Some(name.to_owned()),
            number: Some(number),
            label: Some(label as i32),
            r#type: Some(ty as i32),
            json_name: Some(json.to_owned()),
            ..FieldDescriptorProto::default()
        };
    let named = |mut field: FieldDescriptorProto, type_name: &str| {
        field.type_name = Some(type_name.to_owned());
        field
    };
    let kind = |mut field: FieldDescriptorProto| {
        field.oneof_index = Some(0);
        field
    };
    let message = |name: &str, field: Vec<FieldDescriptorProto>| DescriptorProto {
        name: Some(name.to_owned()),
        field,
        ..DescriptorProto::default()
    };
    use Label::{Optional, Repeated};

    let mut structure = message(
        "Struct",
        vec![named(
            field("fields", "fields", 1, Repeated, Type::Message),
            ".google.protobuf.Struct.FieldsEntry",
        )],
    );
    structure.nested_type.push(DescriptorProto {
        options: Some(MessageOptions {
            map_entry: Some(true),
            ..MessageOptions::default()
        }),
        ..message(
            "FieldsEntry",
            vec![
                field("key", "key", 1, Optional, Type::String),
                named(
                    field("value", "value", 2, Optional, Type::Message),
                    ".google.protobuf.Value",
                ),
            ],
        )
    });
    let mut value = message(
        "Value",
        vec![
            kind(named(
                field("null_value", "nullValue", 1, Optional, Type::Enum),
                ".google.protobuf.NullValue",
            )),
            kind(field(
                "number_value",
                "numberValue",
                2,
                Optional,
                Type::Double,
            )),
            kind(field(
                "string_value",
                "stringValue",
                3,
                Optional,
                Type::String,
            )),
            kind(field("bool_value", "boolValue", 4, Optional, Type::Bool)),
            kind(named(
                field("struct_value", "structValue", 5, Optional, Type::Message),
                ".google.protobuf.Struct",
            )),
            kind(named(
                field("list_value", "listValue", 6, Optional, Type::Message),
                ".google.protobuf.ListValue",
            )),
        ],
    );
    value.oneof_decl.push(OneofDescriptorProto {
        name: Some("kind".to_owned()),
        options: None,
    });
    let list = message(
        "ListValue",
        vec![named(
            field("values", "values", 1, Repeated, Type::Message),
            ".google.protobuf.Value",
        )],
    );
    FileDescriptorProto {
        name: Some(STRUCT_FILE.to_owned()),
        package: Some("google.protobuf".to_owned()),
        message_type: vec![structure, value, list],
        enum_type: vec![EnumDescriptorProto {
            name: Some("NullValue".to_owned()),
            value: vec![EnumValueDescriptorProto {
                name: Some("NULL_VALUE".to_owned()),
                number: Some(0),
                options: None,
            }],
            ..EnumDescriptorProto::default()
        }],
        options: Some(FileOptions {
            java_package: Some("com.google.protobuf".to_owned()),
            java_outer_classname: Some("StructProto".to_owned()),
            java_multiple_files: Some(true),
            go_package: Some("google.golang.org/protobuf/types/known/structpb".to_owned()),
            cc_enable_arenas: Some(true),
            objc_class_prefix: Some("GPB".to_owned()),
            csharp_namespace: Some("Google.Protobuf.WellKnownTypes".to_owned()),
            ..FileOptions::default()
        }),
        syntax: Some("proto3".to_owned()),
        ..FileDescriptorProto::default()
    }
}
