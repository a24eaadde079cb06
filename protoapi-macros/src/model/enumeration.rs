//! A C-like enum under `#[protoapi::message]`, and its values.

use heck::ToShoutySnakeCase;
use proc_macro2::{Span, TokenStream};
use syn::spanned::Spanned;
use syn::{ItemEnum, LitStr};

use super::krate;
use crate::attr::{self, MessageArgs, VariantAttrs};
use crate::ctxt::Ctxt;

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
