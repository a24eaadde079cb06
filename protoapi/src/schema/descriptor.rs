//! Renders a [`ServiceDescriptor`] as protobuf descriptors (`google.protobuf.FileDescriptorProto`),
//! the form gRPC reflection serves and `protoc --descriptor_set_out` writes.
//!
//! The files mirror the `.proto` text of [`super::proto`] one for one: the same names, the same
//! messages in the same order, so that `protoc` run on the text gives the same descriptors; so
//! does the service's file that compiles alone ([`standalone_file`]).

use prost_types::field_descriptor_proto::{Label as ProtoLabel, Type};
use prost_types::method_options::IdempotencyLevel;
use prost_types::{
    DescriptorProto, EnumDescriptorProto, EnumValueDescriptorProto, FieldDescriptorProto,
    FileDescriptorProto, MessageOptions, MethodDescriptorProto, MethodOptions,
    OneofDescriptorProto, ServiceDescriptorProto,
};

use super::builtins::{self, Builtins, TYPES_FILE, is_builtin};
use super::well_known::{STRUCT_FILE, is_well_known, uses_well_known};
use super::{
    EnumDescriptor, FieldDescriptor, FieldType, Label, MessageDescriptor, MethodDescriptor,
    ScalarType, ServiceDescriptor,
};
use crate::upload::{chunk_message, chunks_rpc};

/// The descriptor of the service's own file, as the server serves it.
pub(super) fn service_file(service: &ServiceDescriptor) -> FileDescriptorProto {
    file(service, &Builtins::Imported)
}

/// The descriptor of the service's file that compiles alone.
pub(super) fn standalone_file(service: &ServiceDescriptor) -> FileDescriptorProto {
    file(service, &Builtins::inline(service))
}

fn file(service: &ServiceDescriptor, builtins: &Builtins) -> FileDescriptorProto {
    let package = service.package;
    let type_name = |name: &str| builtins.full_name(package, name);
    let mut dependency = Vec::new();
    if uses_well_known(service) {
        dependency.push(STRUCT_FILE.to_owned());
    }
    if matches!(builtins, Builtins::Imported) && service.messages.iter().any(|m| is_builtin(m.name))
    {
        dependency.push(TYPES_FILE.to_owned());
    }
    let mut methods = Vec::new();
    for method in &service.methods {
        methods.push(MethodDescriptorProto {
            name: Some(method.name.to_owned()),
            input_type: Some(type_name(method.input)),
            output_type: Some(type_name(method.output)),
            options: method.no_side_effects().then(|| MethodOptions {
                idempotency_level: Some(IdempotencyLevel::NoSideEffects as i32),
                ..MethodOptions::default()
            }),
            // As `protoc` writes them: absent unless set.
            client_streaming: method.client_streaming.then_some(true),
            server_streaming: method.server_streaming.then_some(true),
        });
        if service.chunked_uploads().any(|m| m.name == method.name) {
            methods.push(MethodDescriptorProto {
                name: Some(chunks_rpc(method.name)),
                input_type: Some(type_name(&chunk_message(method.name))),
                output_type: Some(type_name(method.output)),
                options: None,
                client_streaming: Some(true),
                server_streaming: None,
            });
        }
    }
    let message_type = service
        .messages
        .iter()
        .filter(|m| !is_builtin(m.name) && !is_well_known(m.name))
        .map(|m| message(package, m, builtins))
        .chain(
            service
                .chunked_uploads()
                .map(|m| upload_message(package, m, builtins)),
        )
        .chain(
            builtins
                .inlined()
                .iter()
                .map(|i| message(package, &i.message, builtins)),
        )
        .collect();
    FileDescriptorProto {
        name: Some(service.proto_file_name()),
        package: (!package.is_empty()).then(|| package.to_owned()),
        dependency,
        message_type,
        enum_type: service.enums.iter().map(enumeration).collect(),
        service: vec![ServiceDescriptorProto {
            name: Some(service.name.to_owned()),
            method: methods,
            options: None,
        }],
        syntax: Some("proto3".to_owned()),
        ..FileDescriptorProto::default()
    }
}

/// The message of the chunked upload of `method`: `oneof part { <input> request = 1;
/// protoapi.FileChunk file = 2; }`.
fn upload_message(
    package: &str,
    method: &MethodDescriptor,
    builtins: &Builtins,
) -> DescriptorProto {
    let part = |name: &str, number: i32, ty: &str| FieldDescriptorProto {
        name: Some(name.to_owned()),
        number: Some(number),
        label: Some(ProtoLabel::Optional as i32),
        r#type: Some(Type::Message as i32),
        type_name: Some(builtins.full_name(package, ty)),
        json_name: Some(name.to_owned()),
        oneof_index: Some(0),
        ..FieldDescriptorProto::default()
    };
    DescriptorProto {
        name: Some(chunk_message(method.name)),
        field: vec![
            part("request", 1, method.input),
            part("file", 2, "protoapi.FileChunk"),
        ],
        oneof_decl: vec![OneofDescriptorProto {
            name: Some("part".to_owned()),
            options: None,
        }],
        ..DescriptorProto::default()
    }
}

/// The descriptor of `protoapi/types.proto`.
pub(super) fn builtins_file() -> FileDescriptorProto {
    FileDescriptorProto {
        name: Some(TYPES_FILE.to_owned()),
        package: Some(builtins::PACKAGE.to_owned()),
        message_type: builtins::builtin_messages()
            .iter()
            .map(|m| message(builtins::PACKAGE, m, &Builtins::Imported))
            .collect(),
        syntax: Some("proto3".to_owned()),
        ..FileDescriptorProto::default()
    }
}

fn message(package: &str, descriptor: &MessageDescriptor, builtins: &Builtins) -> DescriptorProto {
    let name = builtins.declared(descriptor.name);
    let full_name = builtins.full_name(package, descriptor.name);
    let mut message = DescriptorProto {
        name: Some(name.to_owned()),
        ..DescriptorProto::default()
    };
    let mut synthetic = Vec::new();
    for field in &descriptor.fields {
        let mut proto = self::field(package, field, builtins);
        match (&field.ty, field.label) {
            (FieldType::Map(key, value), _) => {
                let entry = map_entry_name(field.name);
                message
                    .nested_type
                    .push(map_entry(package, &entry, *key, value, builtins));
                proto.label = Some(ProtoLabel::Repeated as i32);
                proto.r#type = Some(Type::Message as i32);
                proto.type_name = Some(format!("{full_name}.{entry}"));
            }
            (_, Label::Optional) => {
                // proto3 `optional` is a synthetic oneof, declared after the real ones.
                proto.proto3_optional = Some(true);
                synthetic.push((message.field.len(), format!("_{}", field.name)));
            }
            _ => {}
        }
        message.field.push(proto);
    }
    for (index, name) in synthetic {
        let oneof = i32::try_from(message.oneof_decl.len()).unwrap_or(i32::MAX);
        message.field[index].oneof_index = Some(oneof);
        message.oneof_decl.push(OneofDescriptorProto {
            name: Some(name),
            options: None,
        });
    }
    message
}

fn field(package: &str, field: &FieldDescriptor, builtins: &Builtins) -> FieldDescriptorProto {
    let label = match field.label {
        Label::Repeated => ProtoLabel::Repeated,
        Label::Singular | Label::Optional => ProtoLabel::Optional,
    };
    let mut proto = FieldDescriptorProto {
        name: Some(field.name.to_owned()),
        number: Some(i32::try_from(field.tag).unwrap_or(i32::MAX)),
        label: Some(label as i32),
        json_name: Some(field.json_name.to_owned()),
        ..FieldDescriptorProto::default()
    };
    set_type(&mut proto, package, &field.ty, builtins);
    proto
}

fn set_type(proto: &mut FieldDescriptorProto, package: &str, ty: &FieldType, builtins: &Builtins) {
    match ty {
        FieldType::Scalar(scalar) => proto.r#type = Some(scalar_type(*scalar) as i32),
        FieldType::Message(name) => {
            proto.r#type = Some(Type::Message as i32);
            proto.type_name = Some(builtins.full_name(package, name));
        }
        FieldType::Enum(name) => {
            proto.r#type = Some(Type::Enum as i32);
            proto.type_name = Some(builtins.full_name(package, name));
        }
        // Set by the caller, which declares the entry message.
        FieldType::Map(..) => {}
    }
}

/// The entry message of a map field, named as `protoc` names it: `tags` → `TagsEntry`.
fn map_entry_name(field: &str) -> String {
    let mut name = String::with_capacity(field.len() + 5);
    let mut upper = true;
    for c in field.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            name.extend(c.to_uppercase());
            upper = false;
        } else {
            name.push(c);
        }
    }
    name.push_str("Entry");
    name
}

fn map_entry(
    package: &str,
    name: &str,
    key: ScalarType,
    value: &FieldType,
    builtins: &Builtins,
) -> DescriptorProto {
    let entry_field = |name: &str, number: i32| FieldDescriptorProto {
        name: Some(name.to_owned()),
        number: Some(number),
        label: Some(ProtoLabel::Optional as i32),
        json_name: Some(name.to_owned()),
        ..FieldDescriptorProto::default()
    };
    let mut key_field = entry_field("key", 1);
    key_field.r#type = Some(scalar_type(key) as i32);
    let mut value_field = entry_field("value", 2);
    set_type(&mut value_field, package, value, builtins);
    DescriptorProto {
        name: Some(name.to_owned()),
        field: vec![key_field, value_field],
        options: Some(MessageOptions {
            map_entry: Some(true),
            ..MessageOptions::default()
        }),
        ..DescriptorProto::default()
    }
}

fn enumeration(descriptor: &EnumDescriptor) -> EnumDescriptorProto {
    EnumDescriptorProto {
        name: Some(descriptor.name.to_owned()),
        value: descriptor
            .values
            .iter()
            .map(|value| EnumValueDescriptorProto {
                name: Some(value.name.to_owned()),
                number: Some(value.number),
                options: None,
            })
            .collect(),
        ..EnumDescriptorProto::default()
    }
}

fn scalar_type(scalar: ScalarType) -> Type {
    match scalar {
        ScalarType::Int32 => Type::Int32,
        ScalarType::SInt32 => Type::Sint32,
        ScalarType::SFixed32 => Type::Sfixed32,
        ScalarType::Int64 => Type::Int64,
        ScalarType::SInt64 => Type::Sint64,
        ScalarType::SFixed64 => Type::Sfixed64,
        ScalarType::UInt32 => Type::Uint32,
        ScalarType::Fixed32 => Type::Fixed32,
        ScalarType::UInt64 => Type::Uint64,
        ScalarType::Fixed64 => Type::Fixed64,
        ScalarType::Bool => Type::Bool,
        ScalarType::Float => Type::Float,
        ScalarType::Double => Type::Double,
        ScalarType::String => Type::String,
        ScalarType::Bytes => Type::Bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::map_entry_name;

    #[test]
    fn map_entries_are_named_as_protoc_names_them() {
        assert_eq!(map_entry_name("tags"), "TagsEntry");
        assert_eq!(map_entry_name("extra_scores"), "ExtraScoresEntry");
    }
}
