//! The rules across items of the model, one named function each: unique tags, names and routes,
//! valid names, reserved names, and options that need one another. Each reports through the
//! `Ctxt`, so that every broken rule is reported at once.

use crate::ctxt::Ctxt;
use crate::model::{Enum, Message, Service};
use crate::names::{RESERVED_CLIENT_METHODS, is_proto_ident, is_reserved_method};

/// Every rule of a message.
pub fn message(cx: &Ctxt, message: &Message) {
    check_message_name(cx, message);
    check_file_fields_in_form(cx, message);
    check_tags(cx, message);
    check_field_names(cx, message);
}

/// Every rule of an enum.
pub fn enumeration(cx: &Ctxt, e: &Enum) {
    check_enum_names(cx, e);
    check_enum_first_value_zero(cx, e);
    check_enum_values_unique(cx, e);
}

/// Every rule of a service.
pub fn service(cx: &Ctxt, service: &Service) {
    check_method_names_not_reserved(cx, service);
    check_routes_do_not_clash(cx, service);
    check_rpc_names_unique(cx, service);
    check_websocket_needs_http(cx, service);
    check_form_has_a_body(cx, service);
    check_response_body_has_one_answer(cx, service);
}

/// A message name is an identifier; protoapi's own messages (`protoapi.FileChunk`) live in the
/// `protoapi` package.
fn check_message_name(cx: &Ctxt, message: &Message) {
    let builtin = message.krate.to_string() == "crate"
        && message
            .proto_name
            .strip_prefix("protoapi.")
            .is_some_and(is_proto_ident);
    if !is_proto_ident(&message.proto_name) && !builtin {
        cx.error_spanned_by(&message.item.ident, "a message name is an identifier");
    }
}

/// A `#[file]` field belongs to a `#[form]` message.
fn check_file_fields_in_form(cx: &Ctxt, message: &Message) {
    if message.form {
        return;
    }
    for field in message.fields.iter().filter(|f| f.file.is_some()) {
        cx.error_at(
            field.proto_name_span,
            "a `#[file]` field belongs to a `#[form]` message: put `#[form]` on the struct",
        );
    }
}

/// Tags are in range, outside protobuf's reserved range, and unique.
fn check_tags(cx: &Ctxt, message: &Message) {
    for (i, field) in message.fields.iter().enumerate() {
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
        if let Some(earlier) = message.fields[..i].iter().find(|e| e.tag == field.tag) {
            cx.error_at(
                field.tag_span,
                format_args!(
                    "duplicate tag {}: field `{}` has it already",
                    field.tag, earlier.ident
                ),
            );
        }
    }
}

/// Field names are identifiers, and unique in both their proto and JSON spelling.
fn check_field_names(cx: &Ctxt, message: &Message) {
    for (i, field) in message.fields.iter().enumerate() {
        if !is_proto_ident(&field.proto_name) {
            cx.error_at(field.proto_name_span, "a field name is an identifier");
        }
        if let Some(earlier) = message.fields[..i]
            .iter()
            .find(|e| e.proto_name == field.proto_name || e.json_name == field.json_name)
        {
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

/// The enum's name and its values' names are identifiers.
fn check_enum_names(cx: &Ctxt, e: &Enum) {
    if !is_proto_ident(&e.proto_name) {
        cx.error_spanned_by(&e.item.ident, "an enum name is an identifier");
    }
    for variant in e.variants.iter().filter(|v| !is_proto_ident(&v.proto_name)) {
        cx.error_at(variant.name_span, "an enum value name is an identifier");
    }
}

/// A proto3 enum has a first value, and it is 0 (its default).
fn check_enum_first_value_zero(cx: &Ctxt, e: &Enum) {
    match e.variants.first() {
        None => cx.error_spanned_by(
            &e.item.ident,
            "a proto enum has at least one value, and the first is 0",
        ),
        Some(first) if first.number != 0 => cx.error_at(
            first.number_span,
            "the first value of a proto3 enum is 0 (its default)",
        ),
        Some(_) => {}
    }
}

/// Enum values have unique numbers and names.
fn check_enum_values_unique(cx: &Ctxt, e: &Enum) {
    for (i, variant) in e.variants.iter().enumerate() {
        let earlier = &e.variants[..i];
        if let Some(other) = earlier.iter().find(|o| o.number == variant.number) {
            cx.error_at(
                variant.number_span,
                format_args!(
                    "duplicate enum value {}: `{}` has it already",
                    variant.number, other.ident
                ),
            );
        }
        if earlier.iter().any(|o| o.proto_name == variant.proto_name) {
            cx.error_at(
                variant.name_span,
                format_args!("duplicate enum value name `{}`", variant.proto_name),
            );
        }
    }
}

/// A method is not named like a method of the generated client, nor like a hidden one.
fn check_method_names_not_reserved(cx: &Ctxt, service: &Service) {
    for method in &service.methods {
        let name = method.ident.to_string();
        if is_reserved_method(&name) {
            cx.error_spanned_by(
                &method.ident,
                format_args!(
                    "method name `{name}` clashes with a method of the generated code; reserved: {}, and names starting with `__protoapi`",
                    RESERVED_CLIENT_METHODS.join(", ")
                ),
            );
        }
    }
}

/// Two routes of one shape (`/a/{}`) have the same parameter names, and differ in their verb.
/// A route is reported once, at its first clash.
fn check_routes_do_not_clash(cx: &Ctxt, service: &Service) {
    let routes: Vec<_> = service
        .methods
        .iter()
        .flat_map(|m| m.routes.iter().map(move |r| (m, r)))
        .filter_map(|(m, r)| Some((m, r, r.path.as_ref()?)))
        .collect();
    for (i, (_, route, path)) in routes.iter().enumerate() {
        for (other_method, other, other_path) in &routes[..i] {
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
                break;
            }
            if other.verb == route.verb {
                cx.error_at(
                    route.span,
                    format_args!(
                        "duplicate route {} {}: method `{}` has it already",
                        route.verb, path.axum, other_method.ident
                    ),
                );
                break;
            }
        }
    }
}

/// Rpc names are unique.
fn check_rpc_names_unique(cx: &Ctxt, service: &Service) {
    for (i, method) in service.methods.iter().enumerate() {
        if let Some(earlier) = service.methods[..i]
            .iter()
            .find(|e| e.rpc_name == method.rpc_name)
        {
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

/// A WebSocket, the service's or a method's, is served on the HTTP side.
fn check_websocket_needs_http(cx: &Ctxt, service: &Service) {
    if service.http {
        return;
    }
    if let Some((_, span)) = &service.websocket {
        cx.error_at(
            *span,
            "a WebSocket is served on the HTTP side: remove `http = false`",
        );
    }
    for websocket in service.methods.iter().filter_map(|m| m.websocket.as_ref()) {
        cx.error_at(
            websocket.span,
            "a WebSocket is served on the HTTP side: remove the service's `http = false`",
        );
    }
}

/// `form` describes a request body: the method has an HTTP route with one.
fn check_form_has_a_body(cx: &Ctxt, service: &Service) {
    for method in &service.methods {
        let Some((_, span)) = &method.form else {
            continue;
        };
        if method.client_streaming {
            cx.error_at(
                *span,
                "`form` describes an HTTP request body, and a client-streaming method has no HTTP route",
            );
        } else if !method.routes.iter().any(|route| route.has_body()) {
            cx.error_at(
                *span,
                "`form` describes an HTTP request body, and GET and DELETE have none: give the method a `post`, `put` or `patch` route",
            );
        }
    }
}

/// `response_body` picks a field of one answer: the method has an HTTP route and answers one
/// message.
fn check_response_body_has_one_answer(cx: &Ctxt, service: &Service) {
    for method in &service.methods {
        let Some(field) = &method.response_body else {
            continue;
        };
        let reason = if method.client_streaming {
            "a client-streaming method has no HTTP route"
        } else if method.download {
            "a download answers a file"
        } else if method.server_streaming {
            "a server-streaming method answers a stream"
        } else {
            continue;
        };
        cx.error_spanned_by(
            field,
            format_args!(
                "`response_body` picks a field of the one message of an HTTP answer, and {reason}"
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use crate::attr::ServiceArgs;
    use crate::ctxt::Ctxt;
    use crate::model::Service;

    /// The errors of the model and the checks of a service.
    fn service_errors(args: proc_macro2::TokenStream, item: syn::ItemTrait) -> Vec<String> {
        let cx = Ctxt::new();
        let args = ServiceArgs::parse(&cx, args);
        let service = Service::from_ast(&cx, args, item);
        super::service(&cx, &service);
        match cx.check() {
            Ok(()) => Vec::new(),
            Err(error) => error.into_iter().map(|e| e.to_string()).collect(),
        }
    }

    #[test]
    fn a_route_is_reported_once_at_its_first_clash() {
        let errors = service_errors(
            quote!(package = "demo"),
            syn::parse_quote! {
                trait Demo {
                    #[protoapi(get = "/s/:sno")]
                    async fn a(&self, req: R) -> Result<R, Status>;
                    #[protoapi(get = "/s/:sno")]
                    async fn b(&self, req: R) -> Result<R, Status>;
                    #[protoapi(put = "/s/:id")]
                    async fn c(&self, req: R) -> Result<R, Status>;
                    #[protoapi(put = "/s/:sno")]
                    async fn d(&self, req: R) -> Result<R, Status>;
                }
            },
        );
        assert_eq!(
            errors,
            [
                "duplicate route GET /s/{sno}: method `a` has it already",
                "route /s/{id} clashes with /s/{sno} of method `a`: parameters at the same place need the same name",
                "route /s/{sno} clashes with /s/{id} of method `c`: parameters at the same place need the same name",
            ]
        );
    }

    #[test]
    fn a_websocket_needs_http_under_every_spelling() {
        let errors = service_errors(
            quote!(package = "demo", http = false, socket = "/ws"),
            syn::parse_quote! {
                trait Demo {
                    #[protoapi(wbsk)]
                    async fn a(&self, req: R) -> Result<R, Status>;
                    #[protoapi(websocket = "/b")]
                    async fn b(&self, req: R) -> Result<R, Status>;
                }
            },
        );
        assert_eq!(
            errors,
            [
                "a WebSocket is served on the HTTP side: remove `http = false`",
                "a WebSocket is served on the HTTP side: remove the service's `http = false`",
                "a WebSocket is served on the HTTP side: remove the service's `http = false`",
            ]
        );
    }

    #[test]
    fn the_routes_shape_is_the_one_checked_and_emitted() {
        let cx = Ctxt::new();
        let args = ServiceArgs::parse(&cx, quote!(path = "/api"));
        let service = Service::from_ast(
            &cx,
            args,
            syn::parse_quote! {
                trait Demo {
                    #[protoapi(get = "/files/:dir/*rest", websocket)]
                    async fn a(&self, req: R) -> Result<R, Status>;
                }
            },
        );
        super::service(&cx, &service);
        assert!(cx.check().is_ok());
        let method = &service.methods[0];
        let route = method.routes[0].path.as_ref().map(|p| p.shape.as_str());
        assert_eq!(route, Some("/api/files/{}/{*}"));
        let websocket = method.websocket.as_ref().and_then(|w| w.path.as_ref());
        assert_eq!(websocket.map(|p| p.shape.as_str()), route);
    }
}
