//! A method of a service: its signature, HTTP routes and WebSocket endpoint.

use heck::ToUpperCamelCase;
use proc_macro2::Span;
use syn::spanned::Spanned;
use syn::{FnArg, Pat, ReturnType, Type};

use super::Service;
use crate::attr::{self, MethodAttrs};
use crate::ctxt::Ctxt;
use crate::names::is_proto_ident;
use crate::paths::{self, PathPattern};
use crate::verb::Verb;

pub struct Method {
    pub ident: syn::Ident,
    pub rpc_name: String,
    pub rpc_name_span: Span,
    pub has_ctx: bool,
    /// The request message (`Req` of `Streaming<Req>` too).
    pub request: Type,
    /// The request argument's type as written.
    pub request_arg_ty: Type,
    /// The response message (`Rsp` of `Streaming<Rsp>` too).
    pub response: Type,
    /// The whole `Result<Rsp, Status>` as written.
    pub output: Type,
    /// The method takes `Streaming<Req>`.
    pub client_streaming: bool,
    /// The method returns `Streaming<Rsp>`.
    pub server_streaming: bool,
    /// `websocket`: a WebSocket endpoint at this path (`None` inside: the generated path).
    pub websocket: Option<WebsocketPath>,
    /// The method returns `protoapi::Download`: a server stream of `FileChunk`s over gRPC, a
    /// streamed file over HTTP.
    pub download: bool,
    /// HTTP routes: a verb and a path, or no path for the generated one.
    pub routes: Vec<Route>,
    /// The success status over HTTP.
    pub status: u16,
    /// The body/message limit in bytes, when the method sets one.
    pub limit: Option<u64>,
    /// How long the method may take, in milliseconds, when it sets a timeout.
    pub timeout: Option<u64>,
    /// `form = "data"`: the HTTP body is a form whose field of this name carries the request
    /// in proto3 JSON; with the span of the literal.
    pub form: Option<(String, Span)>,
    /// `response_body = "items"`: the response field whose value is the whole HTTP answer,
    /// spanned at the literal.
    pub response_body: Option<syn::Ident>,
    pub doc: String,
    /// The method's attributes other than `#[protoapi(...)]`.
    pub attrs: Vec<syn::Attribute>,
    /// Argument names for the generated trait method.
    pub ctx_arg: Option<(syn::Ident, Type)>,
    pub request_arg: syn::Ident,
}

/// Where a method's WebSocket endpoint is.
pub struct WebsocketPath {
    /// The pattern; `None` for the path the server's `HttpPathGenerator` makes.
    pub path: Option<PathPattern>,
    pub span: Span,
}

/// One HTTP route of a method.
pub struct Route {
    pub verb: Verb,
    /// The pattern; `None` for the path the server's `HttpPathGenerator` makes.
    pub path: Option<PathPattern>,
    pub span: Span,
}

impl Route {
    /// Whether requests of this verb carry a body.
    pub fn has_body(&self) -> bool {
        self.verb.has_body()
    }
}

impl Method {
    pub(super) fn from_ast(
        cx: &Ctxt,
        service: &Service,
        method: &syn::TraitItemFn,
    ) -> Option<Self> {
        let attrs = MethodAttrs::parse(cx, &method.attrs);
        let sig = &method.sig;
        let mut ok = true;
        if sig.asyncness.is_none() {
            cx.error_spanned_by(sig.fn_token, "protoapi methods are `async fn`");
            ok = false;
        }
        if let Some(body) = &method.default {
            cx.error_spanned_by(
                body,
                "protoapi methods have no default body; implement them in the `impl`",
            );
        }
        if !sig.generics.params.is_empty() || sig.generics.where_clause.is_some() {
            cx.error_spanned_by(&sig.generics, "protoapi methods cannot be generic");
        }
        if let Some(token) = &sig.constness {
            cx.error_spanned_by(token, "protoapi methods cannot be `const`");
        }
        if let Some(token) = &sig.unsafety {
            cx.error_spanned_by(token, "protoapi methods cannot be `unsafe`");
        }
        if let Some(variadic) = &sig.variadic {
            cx.error_spanned_by(variadic, "protoapi methods cannot be variadic");
        }

        const SHAPE: &str = "expected `async fn name(&self, req: Request) -> Result<Response, Status>`, \
            optionally with `ctx: protoapi::Context` before `req`";
        let mut inputs = sig.inputs.iter().peekable();
        match inputs.peek() {
            Some(FnArg::Receiver(receiver))
                if receiver.reference.is_some()
                    && receiver.mutability.is_none()
                    && receiver.colon_token.is_none() =>
            {
                inputs.next();
            }
            Some(FnArg::Receiver(receiver)) => {
                cx.error_spanned_by(
                    receiver,
                    format_args!("protoapi methods take `&self`: {SHAPE}"),
                );
                inputs.next();
                ok = false;
            }
            _ => {
                cx.error_spanned_by(
                    &sig.ident,
                    format_args!("protoapi methods take `&self` first: {SHAPE}"),
                );
                ok = false;
            }
        }
        let typed: Vec<&syn::PatType> = inputs
            .filter_map(|arg| match arg {
                FnArg::Typed(t) => Some(t),
                FnArg::Receiver(_) => None,
            })
            .collect();
        let (ctx, request) = match typed.as_slice() {
            [request] if !is_context(&request.ty) => (None, Some(*request)),
            [ctx, request] if is_context(&ctx.ty) && !is_context(&request.ty) => {
                (Some(*ctx), Some(*request))
            }
            [ctx] if is_context(&ctx.ty) => {
                cx.error_spanned_by(
                    &sig.inputs,
                    format_args!("a protoapi method takes a request message: {SHAPE}"),
                );
                (None, None)
            }
            [] => {
                if ok {
                    cx.error_spanned_by(
                        &sig.ident,
                        format_args!("a protoapi method takes a request message: {SHAPE}"),
                    );
                }
                (None, None)
            }
            _ => {
                cx.error_spanned_by(&sig.inputs, format_args!("wrong arguments: {SHAPE}"));
                (None, None)
            }
        };
        let response = match &sig.output {
            ReturnType::Type(_, ty) => match result_ok_type(ty) {
                Ok(ok_ty) => Some((ok_ty, (**ty).clone())),
                Err(message) => {
                    cx.error_spanned_by(ty, format_args!("{message}: {SHAPE}"));
                    None
                }
            },
            ReturnType::Default => {
                cx.error_spanned_by(
                    &sig.ident,
                    format_args!("a protoapi method returns `Result<Response, Status>`: {SHAPE}"),
                );
                None
            }
        };
        let (Some(request), Some((response, output))) = (request, response) else {
            return None;
        };
        if !ok {
            return None;
        }
        let (request_message, client_streaming) = match streaming_inner(&request.ty) {
            Some(inner) => (inner, true),
            None => ((*request.ty).clone(), false),
        };
        let (response, server_streaming) = match streaming_inner(&response) {
            Some(inner) => (inner, true),
            None => (response, false),
        };
        let download = is_download(&response);
        if client_streaming && download {
            cx.error_spanned_by(
                &request.ty,
                "a download answers one request: take a message, not a `Streaming`",
            );
        }

        let rust_name = sig.ident.to_string();
        let (rpc_name, rpc_name_span) = match attrs.name.get() {
            Some(lit) => {
                if !is_proto_ident(&lit.value()) {
                    cx.error_spanned_by(lit, "an rpc name is an identifier");
                }
                (lit.value(), lit.span())
            }
            None => (rust_name.to_upper_camel_case(), sig.ident.span()),
        };
        let mut routes = Vec::new();
        if client_streaming && let Some((_, lit)) = attrs.routes.first() {
            cx.error_spanned_by(
                lit,
                "a client-streaming method has no HTTP route: it is served over gRPC and WebSocket (`websocket`)",
            );
        }
        for (verb, lit) in attrs.routes.iter().filter(|_| !client_streaming) {
            let written = lit.value();
            let full = match &service.base_path {
                Some(base) if written == "/" => base.clone(),
                Some(base) => format!("{base}{written}"),
                None => written,
            };
            match paths::parse(&full) {
                Ok(pattern) => routes.push(Route {
                    verb: *verb,
                    path: Some(pattern),
                    span: lit.span(),
                }),
                Err(message) => cx.error_spanned_by(lit, message),
            }
        }
        if attrs.routes.is_empty() && !client_streaming {
            // The default route: POST at the generated path, or at `{base}/{method}`.
            let path = service
                .base_path
                .as_ref()
                .and_then(|base| paths::parse(&format!("{base}/{rust_name}")).ok());
            routes.push(Route {
                verb: Verb::Post,
                path,
                span: sig.ident.span(),
            });
        }
        let websocket_span = attrs.websocket.span().unwrap_or_else(|| sig.ident.span());
        let websocket = match attrs.websocket.get() {
            None => None,
            Some(Some(lit)) => {
                let written = lit.value();
                let full = match &service.base_path {
                    Some(base) => format!("{base}{written}"),
                    None => written,
                };
                match paths::parse(&full) {
                    Ok(pattern) => Some(WebsocketPath {
                        path: Some(pattern),
                        span: lit.span(),
                    }),
                    Err(message) => {
                        cx.error_spanned_by(lit, message);
                        None
                    }
                }
            }
            // At the method's first spelled-out path, else where its default route is.
            Some(None) => {
                let path = routes.iter().find_map(|r| r.path.clone()).or_else(|| {
                    service
                        .base_path
                        .as_ref()
                        .and_then(|base| paths::parse(&format!("{base}/{rust_name}")).ok())
                });
                Some(WebsocketPath {
                    path,
                    span: websocket_span,
                })
            }
        };
        let status = match attrs.status.get() {
            Some(lit) => {
                match lit.base10_parse::<u16>() {
                    Ok(code) if (200..=299).contains(&code) && code != 204 && code != 205 => code,
                    _ => {
                        cx.error_spanned_by(lit, "`status` is a success status with a body: 200 to 299, but not 204 or 205");
                        200
                    }
                }
            }
            None => 200,
        };
        // A quantity attribute's value, or its error at the literal.
        let quantity = |value: Option<&syn::LitStr>, parse: fn(&str) -> Result<u64, String>| {
            value.and_then(|lit| match parse(&lit.value()) {
                Ok(n) => Some(n),
                Err(message) => {
                    cx.error_spanned_by(lit, message);
                    None
                }
            })
        };
        let limit = quantity(attrs.limit.get(), paths::parse_size);
        let timeout = quantity(attrs.timeout.get(), paths::parse_duration);
        let form = attrs.form.get().and_then(|lit| {
            let name = lit.value();
            if name.is_empty() || name.chars().any(char::is_control) {
                cx.error_spanned_by(
                    lit,
                    "`form` names the form field that carries the request in JSON, such as `form = \"data\"`",
                );
                return None;
            }
            Some((name, lit.span()))
        });
        let response_body = attrs.response_body.get().and_then(|lit| {
            let name = lit.value();
            // A keyword names a raw field: `type` is `r#type`.
            let ident = syn::parse_str::<syn::Ident>(&name)
                .or_else(|_| syn::parse_str::<syn::Ident>(&format!("r#{name}")));
            match ident {
                Ok(mut ident) => {
                    ident.set_span(lit.span());
                    Some(ident)
                }
                Err(_) => {
                    cx.error_spanned_by(
                        lit,
                        "`response_body` names a field of the response message, such as `response_body = \"items\"`",
                    );
                    None
                }
            }
        });
        let arg_ident = |pat: &Pat, fallback: &str| match pat {
            Pat::Ident(p) if p.by_ref.is_none() && p.mutability.is_none() && p.subpat.is_none() => {
                p.ident.clone()
            }
            _ => syn::Ident::new(fallback, pat.span()),
        };
        Some(Method {
            ident: sig.ident.clone(),
            rpc_name,
            rpc_name_span,
            has_ctx: ctx.is_some(),
            ctx_arg: ctx.map(|c| (arg_ident(&c.pat, "ctx"), (*c.ty).clone())),
            request_arg: arg_ident(&request.pat, "request"),
            download,
            request: request_message,
            request_arg_ty: (*request.ty).clone(),
            response,
            client_streaming,
            server_streaming,
            websocket,
            output,
            routes,
            status,
            limit,
            timeout,
            form,
            response_body,
            doc: attr::doc(&method.attrs),
            attrs: attr::without_protoapi(&method.attrs),
        })
    }
}

/// Whether a type is `Download` (`protoapi::Download` or imported).
fn is_download(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Download" && s.arguments.is_empty()))
}

/// The `T` of `Streaming<T>` (`protoapi::Streaming` or imported).
fn streaming_inner(ty: &Type) -> Option<Type> {
    let Type::Path(p) = ty else { return None };
    if p.qself.is_some() {
        return None;
    }
    let last = p.path.segments.last()?;
    if last.ident != "Streaming" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.iter().collect::<Vec<_>>().as_slice() {
        [syn::GenericArgument::Type(inner)] => Some(inner.clone()),
        _ => None,
    }
}

/// Whether a type is `Context` (`protoapi::Context` or imported).
fn is_context(ty: &Type) -> bool {
    matches!(ty, Type::Path(p) if p.qself.is_none() && p.path.segments.last().is_some_and(|s| s.ident == "Context" && s.arguments.is_empty()))
}

/// The `T` of `Result<T, Status>`.
fn result_ok_type(ty: &Type) -> Result<Type, &'static str> {
    let Type::Path(path) = ty else {
        return Err("a protoapi method returns `Result<Response, Status>`");
    };
    let Some(last) = path.path.segments.last() else {
        return Err("a protoapi method returns `Result<Response, Status>`");
    };
    if last.ident != "Result" {
        return Err("a protoapi method returns `Result<Response, Status>`");
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return Err("a protoapi method returns `Result<Response, Status>`");
    };
    let types: Vec<&Type> = args
        .args
        .iter()
        .filter_map(|a| match a {
            syn::GenericArgument::Type(t) => Some(t),
            _ => None,
        })
        .collect();
    match types.as_slice() {
        [ok, Type::Path(err)]
            if err
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "Status") =>
        {
            Ok((*ok).clone())
        }
        [_, _] => Err("the error type of a protoapi method is `protoapi::Status`"),
        _ => Err("a protoapi method returns `Result<Response, Status>`"),
    }
}
