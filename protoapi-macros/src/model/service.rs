//! A service: a trait under `#[protoapi::service]`.

use proc_macro2::{Span, TokenStream};
use syn::{ItemTrait, LitStr, TraitItem};

use super::Method;
use super::krate;
use crate::attr::{self, ServiceArgs};
use crate::ctxt::Ctxt;
use crate::names::is_proto_ident;
use crate::paths;

pub struct Service {
    pub item: ItemTrait,
    pub package: String,
    pub name: String,
    /// `path = "/base"`: prefix of every method's path.
    pub base_path: Option<String>,
    /// Served over gRPC (`grpc = false` turns it off).
    pub grpc: bool,
    /// Served over HTTP (`http = false` turns it off).
    pub http: bool,
    /// `envelope`: HTTP answers as `{"code": 0, "data": ...}`.
    pub envelope: bool,
    /// `websocket = "/ws"`: one WebSocket for every method.
    pub websocket: Option<(String, Span)>,
    /// `socketio`: every method is an event of the server's Socket.IO endpoint.
    pub socketio: bool,
    /// `graphql`: every method is a field of the server's GraphQL schema.
    pub graphql: bool,
    pub doc: String,
    pub krate: TokenStream,
    pub methods: Vec<Method>,
}

impl Service {
    pub fn full_name(&self) -> String {
        if self.package.is_empty() {
            self.name.clone()
        } else {
            format!("{}.{}", self.package, self.name)
        }
    }

    pub fn from_ast(cx: &Ctxt, args: ServiceArgs, item: ItemTrait) -> Self {
        if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
            cx.error_spanned_by(&item.generics, "protoapi services cannot be generic");
        }
        if let Some(unsafety) = &item.unsafety {
            cx.error_spanned_by(unsafety, "protoapi services cannot be unsafe traits");
        }
        attr::reject_protoapi_attrs(
            cx,
            &item.attrs,
            "a trait; put options in `#[protoapi::service(...)]`",
        );
        let package = args.package.get().map_or_else(String::new, LitStr::value);
        if let Some(lit) = args.package.get() {
            let valid = !package.is_empty()
                && package.split('.').all(|part| {
                    part.chars()
                        .next()
                        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                        && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                });
            if !valid {
                cx.error_spanned_by(
                    lit,
                    "a package is dot-separated identifiers, such as `hello` or `acme.billing.v1`",
                );
            }
        }
        let name = args
            .name
            .get()
            .map_or_else(|| item.ident.to_string(), LitStr::value);
        if let Some(lit) = args.name.get()
            && !is_proto_ident(&name)
        {
            cx.error_spanned_by(lit, "a service name is an identifier");
        }
        let base_path = args.path.get().and_then(|lit| {
            let value = lit.value();
            match paths::parse(&value) {
                Ok(pattern) if pattern.params.is_empty() && value != "/" => Some(value),
                Ok(_) => {
                    cx.error_spanned_by(
                        lit,
                        "a base path is plain segments such as `/api`, without parameters",
                    );
                    None
                }
                Err(message) => {
                    cx.error_spanned_by(lit, message);
                    None
                }
            }
        });
        let grpc = args.grpc.get().is_none_or(|b| b.value);
        let http = args.http.get().is_none_or(|b| b.value);
        if !grpc
            && !http
            && let Some(lit) = args.http.get()
        {
            cx.error_spanned_by(lit, "a service is served over gRPC, HTTP or both");
        }
        let websocket = args.websocket.get().and_then(|lit| {
            let value = lit.value();
            match paths::parse(&value) {
                Ok(pattern) if pattern.params.is_empty() => Some((value, lit.span())),
                Ok(_) => {
                    cx.error_spanned_by(
                        lit,
                        "a service WebSocket's path is plain segments such as `/ws`, without parameters",
                    );
                    None
                }
                Err(message) => {
                    cx.error_spanned_by(lit, message);
                    None
                }
            }
        });
        let mut service = Service {
            websocket,
            base_path,
            grpc,
            http,
            envelope: args.envelope.get().is_some(),
            socketio: args.socketio.get().is_some(),
            graphql: args.graphql.get().is_some(),
            doc: attr::doc(&item.attrs),
            krate: krate(args.krate.get()),
            package,
            name,
            methods: Vec::new(),
            item: item.clone(),
        };
        for trait_item in &item.items {
            match trait_item {
                TraitItem::Fn(method) => {
                    if let Some(method) = Method::from_ast(cx, &service, method) {
                        service.methods.push(method);
                    }
                }
                other => cx.error_spanned_by(
                    other,
                    "a protoapi service trait holds only `async fn` methods",
                ),
            }
        }
        service
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::Service;
    use crate::attr::ServiceArgs;
    use crate::ctxt::Ctxt;

    #[test]
    fn a_service_gets_default_paths_and_rpc_names() {
        let cx = Ctxt::new();
        let args = ServiceArgs::parse(&cx, quote!(package = "hello"));
        let service = Service::from_ast(
            &cx,
            args,
            syn::parse_quote! {
                pub trait Greeter {
                    async fn say_hello(&self, req: HelloRequest) -> Result<HelloReply, Status>;
                    #[protoapi(path = "/demo/upload", name = "Upload")]
                    async fn put_file(&self, ctx: protoapi::Context, req: UploadReq) -> Result<UploadRsp, protoapi::Status>;
                }
            },
        );
        assert!(cx.check().is_ok());
        assert_eq!(service.full_name(), "hello.Greeter");
        let methods: Vec<_> = service
            .methods
            .iter()
            .map(|m| {
                (
                    m.rpc_name.as_str(),
                    m.routes[0].path.as_ref().map(|p| p.axum.as_str()),
                    m.has_ctx,
                )
            })
            .collect();
        assert_eq!(
            methods,
            [
                ("SayHello", None, false),
                ("Upload", Some("/demo/upload"), true)
            ]
        );
    }

    #[test]
    fn every_error_is_reported() {
        let cx = Ctxt::new();
        let args = ServiceArgs::parse(&cx, quote!(packge = "x", name = "A", name = "B"));
        let _ = Service::from_ast(
            &cx,
            args,
            syn::parse_quote! {
                trait T {
                    fn sync(&self, req: R) -> Result<R, Status>;
                    async fn no_result(&self, req: R) -> R;
                }
            },
        );
        let messages: Vec<String> = cx
            .check()
            .expect_err("errors")
            .into_iter()
            .map(|e| e.to_string())
            .collect();
        assert_eq!(messages.len(), 4, "{messages:#?}");
        assert_eq!(
            messages[0],
            "unknown `protoapi` attribute `packge`, expected one of `package`, `name`, `path`, `grpc`, `http`, `envelope`, `websocket`, `socketio`, `graphql`, `crate`"
        );
        assert_eq!(messages[1], "duplicate `protoapi` attribute `name`");
        assert_eq!(messages[2], "protoapi methods are `async fn`");
        assert!(messages[3].starts_with("a protoapi method returns `Result<Response, Status>`"));
    }
}
