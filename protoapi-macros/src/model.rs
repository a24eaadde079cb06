//! The typed model of what the user wrote. Every item keeps its `syn` original for spans.

use heck::{ToLowerCamelCase, ToShoutySnakeCase, ToUpperCamelCase};
use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::spanned::Spanned;
use syn::{FnArg, ItemEnum, ItemStruct, ItemTrait, LitStr, Pat, ReturnType, TraitItem, Type};

use crate::attr::{self, FieldAttrs, MessageArgs, MethodAttrs, ServiceArgs, VariantAttrs};
use crate::ctxt::Ctxt;
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
        let proto_name = args
            .name
            .get()
            .map_or_else(|| item.ident.to_string(), LitStr::value);
        let mut fields = Vec::new();
        match &item.fields {
            syn::Fields::Named(named) => {
                let mut next_tag: u32 = 1;
                for field in &named.named {
                    let Some(ident) = field.ident.clone() else {
                        continue;
                    };
                    let attrs = FieldAttrs::parse(cx, &field.attrs);
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
            field.attrs = attr::without_protoapi(&field.attrs);
        }
        Message {
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
    pub doc: String,
    pub krate: TokenStream,
    pub methods: Vec<Method>,
}

pub struct Method {
    pub ident: syn::Ident,
    pub rpc_name: String,
    pub rpc_name_span: Span,
    pub has_ctx: bool,
    pub request: Type,
    pub response: Type,
    /// The whole `Result<Rsp, Status>` as written.
    pub output: Type,
    pub http_path: String,
    pub http_path_span: Span,
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
        let mut service = Service {
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
        let (http_path, http_path_span) = match attrs.path.get() {
            Some(lit) => (lit.value(), lit.span()),
            None => {
                let mut path = String::new();
                if !service.package.is_empty() {
                    path.push('/');
                    path.push_str(&service.package);
                }
                path.push('/');
                path.push_str(&service.name.to_lowercase());
                path.push('/');
                path.push_str(&rust_name);
                (path, sig.ident.span())
            }
        };
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
            request: (*request.ty).clone(),
            response,
            output,
            http_path,
            http_path_span,
            doc: attr::doc(&method.attrs),
            attrs: attr::without_protoapi(&method.attrs),
        })
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
            .map(|m| (m.rpc_name.as_str(), m.http_path.as_str(), m.has_ctx))
            .collect();
        assert_eq!(
            methods,
            [
                ("SayHello", "/hello/greeter/say_hello", false),
                ("Upload", "/demo/upload", true)
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
            "unknown `protoapi` attribute `packge`, expected one of `package`, `name`, `crate`"
        );
        assert_eq!(messages[1], "duplicate `protoapi` attribute `name`");
        assert_eq!(messages[2], "protoapi methods are `async fn`");
        assert!(messages[3].starts_with("a protoapi method returns `Result<Response, Status>`"));
    }
}
