//! The typed model of what the user wrote. Every item keeps its `syn` original for spans.

use heck::{ToLowerCamelCase, ToShoutySnakeCase, ToUpperCamelCase};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, ItemEnum, ItemStruct, ItemTrait, LitStr, Pat, ReturnType, TraitItem, Type};

use crate::attr::{
    self, FieldAttrs, MessageArgs, MethodAttrs, ServiceArgs, ValidateAttrs, VariantAttrs,
};
use crate::ctxt::Ctxt;
use crate::rules::Rules;
use crate::types::{self, Codec};

/// The root path of the runtime crate (`::protoapi` unless `crate = "..."`).
pub fn krate(value: Option<&syn::Path>) -> TokenStream {
    match value {
        Some(path) => quote!(#path),
        None => quote!(::protoapi),
    }
}

pub struct Message {
    pub item: ItemStruct,
    /// `#[form]`: the HTTP body is a form (urlencoded or multipart).
    pub form: bool,
    pub proto_name: String,
    pub doc: String,
    pub krate: TokenStream,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub ident: syn::Ident,
    pub ty: Type,
    pub proto_name: String,
    pub proto_name_span: Span,
    pub json_name: String,
    pub tag: u32,
    pub tag_span: Span,
    pub codec: Codec,
    pub doc: String,
    /// `#[file]`: filled from the multipart file part of the field's name.
    pub file: Option<FileShape>,
    /// `#[validate(...)]`: the field's rules.
    pub rules: Rules,
    /// The message or enum type the field holds (itself, or its element or map value).
    pub named: Option<Type>,
}

/// The type of a `#[file]` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileShape {
    One,
    Optional,
    Many,
}

/// Takes the marker attributes `#[name]` (no arguments) out of `attrs`; returns whether one was
/// there. A marker with arguments is an error.
fn take_marker(cx: &Ctxt, attrs: &mut Vec<syn::Attribute>, name: &str) -> Option<Span> {
    let mut found = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident(name) {
            return true;
        }
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            cx.error_spanned_by(attr, format_args!("`#[{name}]` takes no arguments"));
        } else if found.is_some() {
            cx.error_spanned_by(attr, format_args!("duplicate `#[{name}]`"));
        }
        found = Some(attr.span());
        false
    });
    found
}

fn file_shape(ty: &Type) -> Option<FileShape> {
    fn last(ty: &Type) -> Option<&syn::PathSegment> {
        match ty {
            Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
            _ => None,
        }
    }
    fn inner(seg: &syn::PathSegment) -> Option<&Type> {
        match &seg.arguments {
            syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
                match args.args.first() {
                    Some(syn::GenericArgument::Type(t)) => Some(t),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let is_file = |t: &Type| last(t).is_some_and(|s| s.ident == "File" && s.arguments.is_empty());
    let seg = last(ty)?;
    if is_file(ty) {
        Some(FileShape::One)
    } else if seg.ident == "Option" && inner(seg).is_some_and(is_file) {
        Some(FileShape::Optional)
    } else if seg.ident == "Vec" && inner(seg).is_some_and(is_file) {
        Some(FileShape::Many)
    } else {
        None
    }
}

impl Message {
    pub fn from_ast(cx: &Ctxt, args: MessageArgs, mut item: ItemStruct) -> Self {
        if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
            cx.error_spanned_by(&item.generics, "protoapi messages cannot be generic");
        }
        attr::reject_protoapi_attrs(
            cx,
            &item.attrs,
            "a message; put options in `#[protoapi::message(...)]`",
        );
        let form = take_marker(cx, &mut item.attrs, "form");
        let json = take_marker(cx, &mut item.attrs, "json");
        if let (Some(_), Some(json)) = (form, json) {
            cx.error_at(json, "a message is `#[form]` or `#[json]`, not both");
        }
        let proto_name = args
            .name
            .get()
            .map_or_else(|| item.ident.to_string(), LitStr::value);
        let mut file_markers = Vec::new();
        for field in item.fields.iter_mut() {
            file_markers.push(take_marker(cx, &mut field.attrs, "file"));
        }
        let mut fields = Vec::new();
        match &item.fields {
            syn::Fields::Named(named) => {
                let mut next_tag: u32 = 1;
                for (field, file_marker) in named.named.iter().zip(&file_markers) {
                    let Some(ident) = field.ident.clone() else {
                        continue;
                    };
                    let file = match file_marker {
                        Some(_) => match file_shape(&field.ty) {
                            Some(shape) => Some(shape),
                            None => {
                                cx.error_spanned_by(
                                    &field.ty,
                                    "a `#[file]` field has type `protoapi::File`, `Option<File>` or `Vec<File>`",
                                );
                                continue;
                            }
                        },
                        None => None,
                    };
                    let attrs = FieldAttrs::parse(cx, &field.attrs);
                    let validate = ValidateAttrs::parse(cx, &field.attrs);
                    let encoding = attrs.encoding.get().map(LitStr::value);
                    let codec = match types::classify(&field.ty, encoding.as_deref()) {
                        Ok(codec) => codec,
                        Err(message) => {
                            match attrs.encoding.get() {
                                Some(lit) if message.contains("encoding") => {
                                    cx.error_spanned_by(lit, message)
                                }
                                _ => cx.error_spanned_by(&field.ty, message),
                            }
                            continue;
                        }
                    };
                    let rules = Rules::from_attrs(cx, &validate, &codec);
                    let (tag, tag_span) = match attrs.tag.get() {
                        Some(lit) => match lit.base10_parse::<u32>() {
                            Ok(tag) => (tag, lit.span()),
                            Err(_) => {
                                cx.error_spanned_by(lit, "a tag is a number from 1 to 536870911");
                                (next_tag, lit.span())
                            }
                        },
                        None => (next_tag, ident.span()),
                    };
                    next_tag = tag.saturating_add(1);
                    let ident_text = ident.to_string();
                    let ident_text = ident_text
                        .strip_prefix("r#")
                        .unwrap_or(&ident_text)
                        .to_owned();
                    let (proto_name, proto_name_span) = match attrs.name.get() {
                        Some(lit) => (lit.value(), lit.span()),
                        None => (ident_text, ident.span()),
                    };
                    let named = types::named_value(&field.ty, &codec);
                    fields.push(Field {
                        json_name: proto_name.to_lower_camel_case(),
                        proto_name,
                        proto_name_span,
                        ident,
                        ty: field.ty.clone(),
                        tag,
                        tag_span,
                        codec,
                        doc: attr::doc(&field.attrs),
                        file,
                        rules,
                        named,
                    });
                }
            }
            syn::Fields::Unit => {}
            syn::Fields::Unnamed(_) => {
                cx.error_spanned_by(
                    &item.fields,
                    "protoapi messages have named fields (or none: `struct Empty;`)",
                );
            }
        }
        // The macro reads `#[protoapi(...)]`; the compiler must not see it.
        for field in item.fields.iter_mut() {
            field.attrs = attr::without_field_attrs(&field.attrs);
        }
        Message {
            form: form.is_some(),
            doc: attr::doc(&item.attrs),
            krate: krate(args.krate.get()),
            proto_name,
            item,
            fields,
        }
    }
}

pub struct Enum {
    pub item: ItemEnum,
    pub proto_name: String,
    pub doc: String,
    pub krate: TokenStream,
    pub variants: Vec<Variant>,
}

pub struct Variant {
    pub ident: syn::Ident,
    pub proto_name: String,
    pub name_span: Span,
    pub number: i32,
    pub number_span: Span,
    pub doc: String,
}

impl Enum {
    pub fn from_ast(cx: &Ctxt, args: MessageArgs, mut item: ItemEnum) -> Self {
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(&item.generics, "protoapi enums cannot be generic");
        }
        attr::reject_protoapi_attrs(
            cx,
            &item.attrs,
            "an enum; put options in `#[protoapi::message(...)]`",
        );
        let mut variants = Vec::new();
        let mut next: i64 = 0;
        for variant in &item.variants {
            if !matches!(variant.fields, syn::Fields::Unit) {
                cx.error_spanned_by(
                    &variant.fields,
                    "proto enums are C-like: variants have no fields",
                );
                continue;
            }
            let attrs = VariantAttrs::parse(cx, &variant.attrs);
            let (number, number_span) = match &variant.discriminant {
                Some((_, expr)) => match discriminant(expr) {
                    Some(n) => (n, expr.span()),
                    None => {
                        cx.error_spanned_by(expr, "an enum value is an integer literal");
                        (next, expr.span())
                    }
                },
                None => (next, variant.ident.span()),
            };
            let Ok(number32) = i32::try_from(number) else {
                cx.error_at(number_span, "enum values are 32-bit integers");
                continue;
            };
            next = number + 1;
            let (proto_name, name_span) = match attrs.name.get() {
                Some(lit) => (lit.value(), lit.span()),
                None => (
                    variant.ident.to_string().to_shouty_snake_case(),
                    variant.ident.span(),
                ),
            };
            variants.push(Variant {
                ident: variant.ident.clone(),
                proto_name,
                name_span,
                number: number32,
                number_span,
                doc: attr::doc(&variant.attrs),
            });
        }
        for variant in item.variants.iter_mut() {
            variant.attrs = attr::without_protoapi(&variant.attrs);
        }
        Enum {
            proto_name: args
                .name
                .get()
                .map_or_else(|| item.ident.to_string(), LitStr::value),
            doc: attr::doc(&item.attrs),
            krate: krate(args.krate.get()),
            item,
            variants,
        }
    }
}

fn discriminant(expr: &syn::Expr) -> Option<i64> {
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Int(lit),
            ..
        }) => lit.base10_parse().ok(),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr,
            ..
        }) => discriminant(expr).map(|n| -n),
        syn::Expr::Group(group) => discriminant(&group.expr),
        syn::Expr::Paren(paren) => discriminant(&paren.expr),
        _ => None,
    }
}

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
    /// `socket = "/ws"`: one WebSocket for every method.
    pub socket: Option<(String, Span)>,
    pub doc: String,
    pub krate: TokenStream,
    pub methods: Vec<Method>,
}

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
    /// `wbsk`: a WebSocket endpoint at this path (`None` inside: the generated path).
    pub wbsk: Option<WbskPath>,
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
    pub doc: String,
    /// The method's attributes other than `#[protoapi(...)]`.
    pub attrs: Vec<syn::Attribute>,
    /// Argument names for the generated trait method.
    pub ctx_arg: Option<(syn::Ident, Type)>,
    pub request_arg: syn::Ident,
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
            match crate::paths::parse(&value) {
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
        let socket = args.socket.get().and_then(|lit| {
            let value = lit.value();
            match crate::paths::parse(&value) {
                Ok(pattern) if pattern.params.is_empty() => Some((value, lit.span())),
                Ok(_) => {
                    cx.error_spanned_by(
                        lit,
                        "a service socket's path is plain segments such as `/ws`, without parameters",
                    );
                    None
                }
                Err(message) => {
                    cx.error_spanned_by(lit, message);
                    None
                }
            }
        });
        if let (Some(lit), false) = (args.socket.get(), http) {
            cx.error_spanned_by(
                lit,
                "a WebSocket is served on the HTTP side: remove `http = false`",
            );
        }
        let mut service = Service {
            socket,
            base_path,
            grpc,
            http,
            envelope: args.envelope.get().is_some(),
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

/// Where a method's WebSocket endpoint is.
pub struct WbskPath {
    /// The pattern; `None` for the path the server's `HttpPathGenerator` makes.
    pub path: Option<crate::paths::PathPattern>,
    pub span: Span,
}

/// One HTTP route of a method.
pub struct Route {
    pub verb: &'static str,
    /// The pattern; `None` for the path the server's `HttpPathGenerator` makes.
    pub path: Option<crate::paths::PathPattern>,
    pub span: Span,
}

impl Route {
    /// Whether requests of this verb carry a body.
    pub fn has_body(&self) -> bool {
        matches!(self.verb, "POST" | "PUT" | "PATCH")
    }
}

pub fn is_proto_ident(s: &str) -> bool {
    s.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl Method {
    fn from_ast(cx: &Ctxt, service: &Service, method: &syn::TraitItemFn) -> Option<Self> {
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
                "a client-streaming method has no HTTP route: it is served over gRPC and WebSocket (`wbsk`)",
            );
        }
        for (verb, lit) in attrs.routes.iter().filter(|_| !client_streaming) {
            let written = lit.value();
            let full = match &service.base_path {
                Some(base) if written == "/" => base.clone(),
                Some(base) => format!("{base}{written}"),
                None => written,
            };
            match crate::paths::parse(&full) {
                Ok(pattern) => routes.push(Route {
                    verb,
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
                .and_then(|base| crate::paths::parse(&format!("{base}/{rust_name}")).ok());
            routes.push(Route {
                verb: "POST",
                path,
                span: sig.ident.span(),
            });
        }
        let wbsk_span = attrs.wbsk.span().unwrap_or_else(|| sig.ident.span());
        let wbsk = match attrs.wbsk.get() {
            None => None,
            Some(_) if !service.http => {
                cx.error_at(
                    wbsk_span,
                    "a WebSocket is served on the HTTP side: remove the service's `http = false`",
                );
                None
            }
            Some(Some(lit)) => {
                let written = lit.value();
                let full = match &service.base_path {
                    Some(base) => format!("{base}{written}"),
                    None => written,
                };
                match crate::paths::parse(&full) {
                    Ok(pattern) => Some(WbskPath {
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
                        .and_then(|base| crate::paths::parse(&format!("{base}/{rust_name}")).ok())
                });
                Some(WbskPath {
                    path,
                    span: wbsk_span,
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
        let limit = quantity(attrs.limit.get(), crate::paths::parse_size);
        let timeout = quantity(attrs.timeout.get(), crate::paths::parse_duration);
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
            wbsk,
            output,
            routes,
            status,
            limit,
            timeout,
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

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::{Message, Service};
    use crate::attr::{MessageArgs, ServiceArgs};
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
    fn tags_follow_declaration_order_and_overrides() {
        let cx = Ctxt::new();
        let args = MessageArgs::parse(&cx, quote!());
        let message = Message::from_ast(
            &cx,
            args,
            syn::parse_quote! {
                pub struct M {
                    pub a: String,
                    #[protoapi(tag = 10)]
                    pub b: i64,
                    pub c: bool,
                    #[protoapi(name = "renamed_d")]
                    pub d: u32,
                }
            },
        );
        assert!(cx.check().is_ok());
        let fields: Vec<_> = message
            .fields
            .iter()
            .map(|f| (f.proto_name.as_str(), f.json_name.as_str(), f.tag))
            .collect();
        assert_eq!(
            fields,
            [
                ("a", "a", 1),
                ("b", "b", 10),
                ("c", "c", 11),
                ("renamed_d", "renamedD", 12)
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
            "unknown `protoapi` attribute `packge`, expected one of `package`, `name`, `path`, `grpc`, `http`, `envelope`, `socket`, `crate`"
        );
        assert_eq!(messages[1], "duplicate `protoapi` attribute `name`");
        assert_eq!(messages[2], "protoapi methods are `async fn`");
        assert!(messages[3].starts_with("a protoapi method returns `Result<Response, Status>`"));
    }
}
