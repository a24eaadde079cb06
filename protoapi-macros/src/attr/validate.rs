//! The grammar of `#[validate(...)]` on a message field.

use proc_macro2::{Span, TokenStream};
use syn::meta::ParseNestedMeta;
use syn::{Attribute, LitStr};

use super::{PathString as _, SpanOfFirst as _, Value, unknown_key_in};
use crate::ctxt::Ctxt;

/// A number as written in `min = -1.5`: the literal and its sign, and the tokens of both for
/// errors.
#[derive(Clone)]
pub struct NumberLit {
    pub negative: bool,
    pub lit: syn::Lit,
    pub tokens: TokenStream,
}

/// A count as written in `min_len = 3`.
pub struct CountLit {
    pub value: u64,
    pub span: Span,
}

/// `#[validate(min = 1, max = 5, min_len = 1, max_len = 20, min_items = 1, max_items = 10,
/// pattern = "^[a-z]+$", required, custom = "path::to::function")]` on a message field; several
/// attributes may share the keys of one field.
pub struct ValidateAttrs {
    pub min: Value<NumberLit>,
    pub max: Value<NumberLit>,
    pub min_len: Value<CountLit>,
    pub max_len: Value<CountLit>,
    pub min_items: Value<CountLit>,
    pub max_items: Value<CountLit>,
    pub pattern: Value<LitStr>,
    pub required: Value<()>,
    pub custom: Value<LitStr>,
}

impl ValidateAttrs {
    const KEYS: &'static [&'static str] = &[
        "min",
        "max",
        "min_len",
        "max_len",
        "min_items",
        "max_items",
        "pattern",
        "required",
        "custom",
    ];

    pub fn parse(cx: &Ctxt, attrs: &[Attribute]) -> Self {
        fn value<T>(key: &'static str) -> Value<T> {
            Value::new_in("validate", key)
        }
        let mut out = ValidateAttrs {
            min: value("min"),
            max: value("max"),
            min_len: value("min_len"),
            max_len: value("max_len"),
            min_items: value("min_items"),
            max_items: value("max_items"),
            pattern: value("pattern"),
            required: value("required"),
            custom: value("custom"),
        };
        for attr in attrs {
            if !attr.path().is_ident("validate") {
                continue;
            }
            if !matches!(attr.meta, syn::Meta::List(_)) {
                cx.error_spanned_by(
                    attr,
                    "`#[validate(...)]` lists rules, such as `#[validate(min = 1, max = 10)]`",
                );
                continue;
            }
            let result = attr.parse_nested_meta(|meta| {
                let span = meta.path.span_of_first();
                let key = meta.path.to_token_stream_string();
                if meta.path.is_ident("min") || meta.path.is_ident("max") {
                    let Some(expr) = rule_value(cx, &meta, &key, "1")? else {
                        return Ok(());
                    };
                    match number_lit(&expr) {
                        Some(number) if meta.path.is_ident("min") => out.min.set(cx, span, number),
                        Some(number) => out.max.set(cx, span, number),
                        None => cx.error_spanned_by(
                            &expr,
                            format_args!(
                                "`{key}` is a number, such as `{key} = 1` or `{key} = 0.5`"
                            ),
                        ),
                    }
                } else if let Some(target) = [
                    ("min_len", &mut out.min_len),
                    ("max_len", &mut out.max_len),
                    ("min_items", &mut out.min_items),
                    ("max_items", &mut out.max_items),
                ]
                .into_iter()
                .find_map(|(name, target)| meta.path.is_ident(name).then_some(target))
                {
                    let Some(expr) = rule_value(cx, &meta, &key, "1")? else {
                        return Ok(());
                    };
                    let count = match &expr {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Int(lit),
                            ..
                        }) => lit.base10_parse::<u64>().ok().map(|value| CountLit {
                            value,
                            span: lit.span(),
                        }),
                        _ => None,
                    };
                    match count {
                        Some(count) => target.set(cx, span, count),
                        None => cx.error_spanned_by(
                            &expr,
                            format_args!(
                                "`{key}` is a count: a non-negative integer, such as `{key} = 1`"
                            ),
                        ),
                    }
                } else if meta.path.is_ident("pattern") || meta.path.is_ident("custom") {
                    let example = if meta.path.is_ident("pattern") {
                        "\"^[a-z]+$\""
                    } else {
                        "\"crate::check_name\""
                    };
                    let Some(expr) = rule_value(cx, &meta, &key, example)? else {
                        return Ok(());
                    };
                    match expr {
                        syn::Expr::Lit(syn::ExprLit {
                            lit: syn::Lit::Str(lit),
                            ..
                        }) => {
                            if meta.path.is_ident("pattern") {
                                out.pattern.set(cx, span, lit);
                            } else {
                                out.custom.set(cx, span, lit);
                            }
                        }
                        other => cx.error_spanned_by(
                            &other,
                            format_args!(
                                "`{key}` is a string literal, such as `{key} = {example}`"
                            ),
                        ),
                    }
                } else if meta.path.is_ident("required") {
                    if meta.input.peek(syn::Token![=]) || meta.input.peek(syn::token::Paren) {
                        cx.error_at(
                            span,
                            "`required` takes no value: write `#[validate(required)]`",
                        );
                        skip_value(&meta)?;
                    }
                    out.required.set(cx, span, ());
                } else {
                    unknown_key_in(cx, "validate", &meta, Self::KEYS)?;
                }
                Ok(())
            });
            if let Err(error) = result {
                cx.syn_error(error);
            }
        }
        out
    }
}

/// The value of `key = value`; a key without one is an error that shows an example.
fn rule_value(
    cx: &Ctxt,
    meta: &ParseNestedMeta,
    key: &str,
    example: &str,
) -> syn::Result<Option<syn::Expr>> {
    if meta.input.peek(syn::Token![=]) {
        return Ok(Some(meta.value()?.parse()?));
    }
    cx.error_spanned_by(
        &meta.path,
        format_args!("`{key}` takes a value, such as `{key} = {example}`"),
    );
    skip_value(meta)?;
    Ok(None)
}

/// Skips `= value` or `(...)` after a key, so that parsing goes on with the next key.
fn skip_value(meta: &ParseNestedMeta) -> syn::Result<()> {
    if meta.input.peek(syn::Token![=]) {
        let _: syn::Expr = meta.value()?.parse()?;
    } else if meta.input.peek(syn::token::Paren) {
        let content;
        syn::parenthesized!(content in meta.input);
        let _: TokenStream = content.parse()?;
    }
    Ok(())
}

/// `1`, `-1`, `0.5`, `-0.5`: an integer or float literal, maybe negated.
fn number_lit(expr: &syn::Expr) -> Option<NumberLit> {
    use quote::ToTokens as _;
    match expr {
        syn::Expr::Lit(syn::ExprLit {
            lit: lit @ (syn::Lit::Int(_) | syn::Lit::Float(_)),
            ..
        }) => Some(NumberLit {
            negative: false,
            lit: lit.clone(),
            tokens: lit.to_token_stream(),
        }),
        syn::Expr::Unary(syn::ExprUnary {
            op: syn::UnOp::Neg(_),
            expr: inner,
            ..
        }) => match &**inner {
            syn::Expr::Lit(syn::ExprLit {
                lit: lit @ (syn::Lit::Int(_) | syn::Lit::Float(_)),
                ..
            }) => Some(NumberLit {
                negative: true,
                lit: lit.clone(),
                tokens: expr.to_token_stream(),
            }),
            _ => None,
        },
        syn::Expr::Group(group) => number_lit(&group.expr),
        _ => None,
    }
}
