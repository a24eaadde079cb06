//! Rules across items: unique tags, names and routes, valid paths, reserved names.

use crate::ctxt::Ctxt;
use crate::model::{Enum, Message, Service, is_proto_ident};

/// Method names the generated client defines itself.
const RESERVED_CLIENT_METHODS: &[&str] = &["new", "connect", "with_origin", "into_inner"];

pub fn message(cx: &Ctxt, message: &Message) {
    // protoapi's own messages (`protoapi.FileChunk`) live in the `protoapi` package.
    let builtin = message.krate.to_string() == "crate"
        && message
            .proto_name
            .strip_prefix("protoapi.")
            .is_some_and(is_proto_ident);
    if !is_proto_ident(&message.proto_name) && !builtin {
        cx.error_spanned_by(&message.item.ident, "a message name is an identifier");
    }
    for (i, field) in message.fields.iter().enumerate() {
        if field.file.is_some() && !message.form {
            cx.error_at(
                field.proto_name_span,
                "a `#[file]` field belongs to a `#[form]` message: put `#[form]` on the struct",
            );
        }
        if field.tag == 0 || field.tag > 536_870_911 {
            cx.error_at(
                field.tag_span,
                format_args!("tag {} is out of range: tags are 1 to 536870911", field.tag),
            );
        } else if (19_000..=19_999).contains(&field.tag) {
            cx.error_at(
                field.tag_span,
                format_args!("tag {} is reserved by protobuf (19000 to 19999)", field.tag),
            );
        }
        if !is_proto_ident(&field.proto_name) {
            cx.error_at(field.proto_name_span, "a field name is an identifier");
        }
        for earlier in &message.fields[..i] {
            if earlier.tag == field.tag {
                cx.error_at(
                    field.tag_span,
                    format_args!(
                        "duplicate tag {}: field `{}` has it already",
                        field.tag, earlier.ident
                    ),
                );
            }
            if earlier.proto_name == field.proto_name || earlier.json_name == field.json_name {
                cx.error_at(
                    field.proto_name_span,
                    format_args!(
                        "field name `{}` clashes with field `{}`",
                        field.proto_name, earlier.ident
                    ),
                );
            }
        }
    }
}

pub fn enumeration(cx: &Ctxt, e: &Enum) {
    if !is_proto_ident(&e.proto_name) {
        cx.error_spanned_by(&e.item.ident, "an enum name is an identifier");
    }
    match e.variants.first() {
        None => cx.error_spanned_by(
            &e.item.ident,
            "a proto enum has at least one value, and the first is 0",
        ),
        Some(first) if first.number != 0 => {
            cx.error_at(
                first.number_span,
                "the first value of a proto3 enum is 0 (its default)",
            );
        }
        Some(_) => {}
    }
    for (i, variant) in e.variants.iter().enumerate() {
        if !is_proto_ident(&variant.proto_name) {
            cx.error_at(variant.name_span, "an enum value name is an identifier");
        }
        for earlier in &e.variants[..i] {
            if earlier.number == variant.number {
                cx.error_at(
                    variant.number_span,
                    format_args!(
                        "duplicate enum value {}: `{}` has it already",
                        variant.number, earlier.ident
                    ),
                );
            }
            if earlier.proto_name == variant.proto_name {
                cx.error_at(
                    variant.name_span,
                    format_args!("duplicate enum value name `{}`", variant.proto_name),
                );
            }
        }
    }
}

pub fn service(cx: &Ctxt, service: &Service) {
    for (i, method) in service.methods.iter().enumerate() {
        let name = method.ident.to_string();
        if RESERVED_CLIENT_METHODS.contains(&name.as_str()) || name.starts_with("__protoapi") {
            cx.error_spanned_by(
                &method.ident,
                format_args!(
                    "method name `{name}` clashes with a method of the generated client; reserved: {}",
                    RESERVED_CLIENT_METHODS.join(", ")
                ),
            );
        }
        for (j, route) in method.routes.iter().enumerate() {
            let Some(path) = &route.path else { continue };
            let earlier_routes = service.methods[..i]
                .iter()
                .flat_map(|m| m.routes.iter().map(move |r| (m, r)))
                .chain(method.routes[..j].iter().map(|r| (method, r)));
            for (other_method, other) in earlier_routes {
                let Some(other_path) = &other.path else {
                    continue;
                };
                if other_path.shape != path.shape {
                    continue;
                }
                if other_path.axum != path.axum {
                    cx.error_at(
                        route.span,
                        format_args!(
                            "route {} clashes with {} of method `{}`: parameters at the same place need the same name",
                            path.axum, other_path.axum, other_method.ident
                        ),
                    );
                } else if other.verb == route.verb {
                    cx.error_at(
                        route.span,
                        format_args!(
                            "duplicate route {} {}: method `{}` has it already",
                            route.verb, path.axum, other_method.ident
                        ),
                    );
                }
            }
        }
        for earlier in &service.methods[..i] {
            if earlier.rpc_name == method.rpc_name {
                cx.error_at(
                    method.rpc_name_span,
                    format_args!(
                        "duplicate rpc name `{}`: method `{}` has it already",
                        method.rpc_name, earlier.ident
                    ),
                );
            }
        }
    }
}
