//! The attribute grammar, in one place (`validate` holds `#[validate(...)]`'s). Unknown and
//! repeated keys are errors that list what is accepted.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::parse::Parser as _;
use syn::{Attribute, LitBool, LitInt, LitStr};

use crate::ctxt::Ctxt;
use crate::verb::Verb;

mod validate;

pub use validate::{CountLit, NumberLit, ValidateAttrs};

/// A value given at most once, with the span of its key for errors.
pub struct Value<T> {
    /// The attribute the key belongs to: `protoapi` or `validate`.
    attr: &'static str,
    key: &'static str,
    value: Option<(Span, T)>,
}

impl<T> Value<T> {
    fn new(key: &'static str) -> Self {
        Value::new_in("protoapi", key)
    }

    fn new_in(attr: &'static str, key: &'static str) -> Self {
        Value {
            attr,
            key,
            value: None,
        }
    }

    fn set(&mut self, cx: &Ctxt, span: Span, value: T) {
        self.set_as(cx, span, self.key, value);
    }

    /// Sets the value of a key written as `written`: the key or one of its other spellings.
    fn set_as(&mut self, cx: &Ctxt, span: Span, written: &str, value: T) {
        if self.value.is_none() {
            self.value = Some((span, value));
        } else if written == self.key {
            cx.error_at(
                span,
                format_args!("duplicate `{}` attribute `{}`", self.attr, self.key),
            );
        } else {
            cx.error_at(
                span,
                format_args!(
                    "duplicate `{}` attribute `{}`: `{written}` is another spelling of it",
                    self.attr, self.key
                ),
            );
        }
    }

    pub fn get(&self) -> Option<&T> {
        self.value.as_ref().map(|(_, v)| v)
    }

    /// The span of the key, when it was given.
    pub fn span(&self) -> Option<Span> {
        self.value.as_ref().map(|(s, _)| *s)
    }
}

fn unknown_key(cx: &Ctxt, meta: &ParseNestedMeta, expected: &[&str]) -> syn::Result<()> {
    unknown_key_in(cx, "protoapi", meta, expected)
}

fn unknown_key_in(
    cx: &Ctxt,
    attr: &str,
    meta: &ParseNestedMeta,
    expected: &[&str],
) -> syn::Result<()> {
    let key = meta.path.to_token_stream_string();
    let list = expected
        .iter()
        .map(|k| format!("`{k}`"))
        .collect::<Vec<_>>()
        .join(", ");
    cx.error_spanned_by(
        &meta.path,
        format_args!("unknown `{attr}` attribute `{key}`, expected one of {list}"),
    );
    // Skip the value, if any, so that parsing goes on with the next key.
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let _ = meta.parse_nested_meta(|_| Ok(()));
    }
    Ok(())
}

trait PathString {
    fn to_token_stream_string(&self) -> String;
}

impl PathString for syn::Path {
    fn to_token_stream_string(&self) -> String {
        quote::quote!(#self).to_string().replace(' ', "")
    }
}

fn lit_str(meta: &ParseNestedMeta) -> syn::Result<LitStr> {
    meta.value()?.parse()
}

/// Runs `f` on every key of a macro's own arguments, `#[protoapi::service(...)]` say.
fn each_arg(
    cx: &Ctxt,
    tokens: TokenStream,
    mut f: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    let parser = syn::meta::parser(|meta| f(&meta));
    if let Err(error) = parser.parse2(tokens) {
        cx.syn_error(error);
    }
}

/// Runs `f` on every key of every `#[protoapi(...)]` attribute in `attrs`.
fn each_protoapi_key(
    cx: &Ctxt,
    attrs: &[Attribute],
    mut f: impl FnMut(&ParseNestedMeta) -> syn::Result<()>,
) {
    for attr in attrs {
        if !attr.path().is_ident("protoapi") {
            continue;
        }
        if let Err(error) = attr.parse_nested_meta(|meta| f(&meta)) {
            cx.syn_error(error);
        }
    }
}

/// `#[protoapi::service(package = "...", name = "...", path = "/base", grpc = false,
/// http = false, envelope, websocket = "/ws", socketio, graphql, crate = "...")]`; `socket` is the older
/// spelling of `websocket`.
pub struct ServiceArgs {
    pub package: Value<LitStr>,
    pub name: Value<LitStr>,
    pub path: Value<LitStr>,
    pub websocket: Value<LitStr>,
    pub grpc: Value<LitBool>,
    pub http: Value<LitBool>,
    pub envelope: Value<()>,
    pub socketio: Value<()>,
    pub graphql: Value<()>,
    pub krate: Value<syn::Path>,
}

impl ServiceArgs {
    const KEYS: &'static [&'static str] = &[
        "package",
        "name",
        "path",
        "grpc",
        "http",
        "envelope",
        "websocket",
        "socketio",
        "graphql",
        "crate",
    ];
    /// `websocket` and its older spelling.
    const WEBSOCKET: &'static [&'static str] = &["websocket", "socket"];

    pub fn parse(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut args = ServiceArgs {
            package: Value::new("package"),
            name: Value::new("name"),
            path: Value::new("path"),
            websocket: Value::new("websocket"),
            grpc: Value::new("grpc"),
            http: Value::new("http"),
            envelope: Value::new("envelope"),
            socketio: Value::new("socketio"),
            graphql: Value::new("graphql"),
            krate: Value::new("crate"),
        };
        each_arg(cx, tokens, |meta| {
            let span = meta.path.span_of_first();
            if meta.path.is_ident("package") {
                args.package.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("name") {
                args.name.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("path") {
                args.path.set(cx, span, lit_str(meta)?);
            } else if let Some(key) = Self::WEBSOCKET.iter().find(|k| meta.path.is_ident(k)) {
                args.websocket.set_as(cx, span, key, lit_str(meta)?);
            } else if meta.path.is_ident("grpc") {
                args.grpc.set(cx, span, meta.value()?.parse()?);
            } else if meta.path.is_ident("http") {
                args.http.set(cx, span, meta.value()?.parse()?);
            } else if meta.path.is_ident("envelope") {
                args.envelope.set(cx, span, ());
            } else if meta.path.is_ident("socketio") {
                args.socketio.set(cx, span, ());
            } else if meta.path.is_ident("graphql") {
                args.graphql.set(cx, span, ());
            } else if meta.path.is_ident("crate") {
                args.krate.set(cx, span, lit_str(meta)?.parse()?);
            } else {
                unknown_key(cx, meta, Self::KEYS)?;
            }
            Ok(())
        });
        args
    }
}

/// `#[protoapi::message(name = "...", crate = "...")]`
pub struct MessageArgs {
    pub name: Value<LitStr>,
    pub krate: Value<syn::Path>,
}

impl MessageArgs {
    const KEYS: &'static [&'static str] = &["name", "crate"];

    pub fn parse(cx: &Ctxt, tokens: TokenStream) -> Self {
        let mut args = MessageArgs {
            name: Value::new("name"),
            krate: Value::new("crate"),
        };
        each_arg(cx, tokens, |meta| {
            let span = meta.path.span_of_first();
            if meta.path.is_ident("name") {
                args.name.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("crate") {
                args.krate.set(cx, span, lit_str(meta)?.parse()?);
            } else {
                unknown_key(cx, meta, Self::KEYS)?;
            }
            Ok(())
        });
        args
    }
}

/// `#[protoapi(get = "/p", post = "/p", put = "/p", delete = "/p", patch = "/p", path = "/p",
/// name = "Rpc", status = 201, limit = "64MiB", timeout = "5s", websocket, websocket = "/ws",
/// form = "data", response_body = "items")]` on a trait method; `wbsk` (the Go protoapi's key)
/// is another spelling of `websocket`.
pub struct MethodAttrs {
    /// `(verb, path)` in the order written; `path = ".."` is `POST`.
    pub routes: Vec<(Verb, LitStr)>,
    pub name: Value<LitStr>,
    pub status: Value<LitInt>,
    pub limit: Value<LitStr>,
    pub timeout: Value<LitStr>,
    pub websocket: Value<Option<LitStr>>,
    /// The form field that carries the request in proto3 JSON.
    pub form: Value<LitStr>,
    /// The response field that is the whole HTTP answer.
    pub response_body: Value<LitStr>,
}

impl MethodAttrs {
    const KEYS: &'static [&'static str] = &[
        "get",
        "post",
        "put",
        "delete",
        "patch",
        "path",
        "name",
        "status",
        "limit",
        "timeout",
        "websocket",
        "form",
        "response_body",
    ];
    /// `websocket` and the Go protoapi's spelling.
    const WEBSOCKET: &'static [&'static str] = &["websocket", "wbsk"];
    const VERBS: &'static [(&'static str, Verb)] = &[
        ("get", Verb::Get),
        ("post", Verb::Post),
        ("put", Verb::Put),
        ("delete", Verb::Delete),
        ("patch", Verb::Patch),
        ("path", Verb::Post),
    ];

    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = MethodAttrs {
            routes: Vec::new(),
            name: Value::new("name"),
            status: Value::new("status"),
            limit: Value::new("limit"),
            timeout: Value::new("timeout"),
            websocket: Value::new("websocket"),
            form: Value::new("form"),
            response_body: Value::new("response_body"),
        };
        let mut seen_verbs: Vec<&'static str> = Vec::new();
        each_protoapi_key(cx, attrs, |meta| {
            let span = meta.path.span_of_first();
            if let Some((key, verb)) = Self::VERBS.iter().find(|(key, _)| meta.path.is_ident(key)) {
                let lit = lit_str(meta)?;
                if seen_verbs.contains(key) {
                    cx.error_at(span, format_args!("duplicate `protoapi` attribute `{key}`"));
                } else {
                    seen_verbs.push(key);
                    out.routes.push((*verb, lit));
                }
            } else if meta.path.is_ident("name") {
                out.name.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("status") {
                out.status.set(cx, span, meta.value()?.parse()?);
            } else if meta.path.is_ident("limit") {
                out.limit.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("timeout") {
                out.timeout.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("form") {
                out.form.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("response_body") {
                out.response_body.set(cx, span, lit_str(meta)?);
            } else if let Some(key) = Self::WEBSOCKET.iter().find(|k| meta.path.is_ident(k)) {
                let path = if meta.input.peek(syn::Token![=]) {
                    Some(lit_str(meta)?)
                } else {
                    None
                };
                out.websocket.set_as(cx, span, key, path);
            } else {
                unknown_key(cx, meta, Self::KEYS)?;
            }
            Ok(())
        });
        out
    }
}

/// `#[protoapi(tag = 5, name = "x", encoding = "sint64")]` on a message field.
pub struct FieldAttrs {
    pub tag: Value<LitInt>,
    pub name: Value<LitStr>,
    pub encoding: Value<LitStr>,
}

impl FieldAttrs {
    const KEYS: &'static [&'static str] = &["tag", "name", "encoding"];

    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = FieldAttrs {
            tag: Value::new("tag"),
            name: Value::new("name"),
            encoding: Value::new("encoding"),
        };
        each_protoapi_key(cx, attrs, |meta| {
            let span = meta.path.span_of_first();
            if meta.path.is_ident("tag") {
                out.tag.set(cx, span, meta.value()?.parse()?);
            } else if meta.path.is_ident("name") {
                out.name.set(cx, span, lit_str(meta)?);
            } else if meta.path.is_ident("encoding") {
                out.encoding.set(cx, span, lit_str(meta)?);
            } else {
                unknown_key(cx, meta, Self::KEYS)?;
            }
            Ok(())
        });
        out
    }
}
/// `#[protoapi(name = "X")]` on an enum variant.
pub struct VariantAttrs {
    pub name: Value<LitStr>,
}

impl VariantAttrs {
    const KEYS: &'static [&'static str] = &["name"];

    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        let mut out = VariantAttrs {
            name: Value::new("name"),
        };
        each_protoapi_key(cx, attrs, |meta| {
            let span = meta.path.span_of_first();
            if meta.path.is_ident("name") {
                out.name.set(cx, span, lit_str(meta)?);
            } else {
                unknown_key(cx, meta, Self::KEYS)?;
            }
            Ok(())
        });
        out
    }
}

/// Rejects `#[protoapi(...)]` where no keys are accepted.
pub fn reject_protoapi_attrs(cx: &Ctxt, attrs: &[Attribute], what: &str) {
    for attr in attrs {
        if attr.path().is_ident("protoapi") {
            cx.error_spanned_by(
                attr,
                format_args!("`#[protoapi(...)]` is not accepted on {what}"),
            );
        }
    }
}

/// A field's attributes without `#[protoapi(...)]` and `#[validate(...)]`, which only the macro
/// reads.
pub fn without_field_attrs(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| !a.path().is_ident("protoapi") && !a.path().is_ident("validate"))
        .cloned()
        .collect()
}

/// The attributes without `#[protoapi(...)]`, which only the macro reads.
pub fn without_protoapi(attrs: &[Attribute]) -> Vec<Attribute> {
    attrs
        .iter()
        .filter(|a| !a.path().is_ident("protoapi"))
        .cloned()
        .collect()
}

/// The doc comment (`///` lines) joined, one leading space per line removed.
pub fn doc(attrs: &[Attribute]) -> String {
    let mut lines = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("doc") {
            continue;
        }
        if let syn::Meta::NameValue(nv) = &attr.meta
            && let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
        {
            let text = s.value();
            // A bare `///` is an empty line: it separates paragraphs.
            if text.is_empty() {
                lines.push(String::new());
            }
            for line in text.lines() {
                lines.push(line.strip_prefix(' ').unwrap_or(line).to_owned());
            }
        }
    }
    lines.join("\n").trim().to_owned()
}

trait SpanOfFirst {
    fn span_of_first(&self) -> Span;
}

impl SpanOfFirst for syn::Path {
    fn span_of_first(&self) -> Span {
        self.segments
            .first()
            .map_or_else(Span::call_site, |s| s.ident.span())
    }
}
