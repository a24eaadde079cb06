//! Code generation. Each entry point runs parse → model → check → generate.

mod client;
mod codec;
mod enumeration;
mod grpc;
mod http;
mod message;
mod service;
mod validate;

use proc_macro2::TokenStream;
use quote::quote;

use crate::attr::{MessageArgs, ServiceArgs};
use crate::ctxt::Ctxt;
use crate::{check, model};

/// `#[protoapi::message]` on a struct or a C-like enum.
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = MessageArgs::parse(&cx, attr);
    let item: syn::Item = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(error) => {
            let _ = cx.check();
            return with_error(item, error);
        }
    };
    let output = match item {
        syn::Item::Struct(item) => {
            let message = model::Message::from_ast(&cx, args, item);
            check::message(&cx, &message);
            finish(cx, || message.fallback(), || message.expand())
        }
        syn::Item::Enum(item) => {
            let enumeration = model::Enum::from_ast(&cx, args, item);
            check::enumeration(&cx, &enumeration);
            finish(cx, || enumeration.fallback(), || enumeration.expand())
        }
        other => {
            cx.error_spanned_by(
                &other,
                "`#[protoapi::message]` goes on a struct or a C-like enum",
            );
            finish(cx, || quote!(#other), TokenStream::new)
        }
    };
    debug("message", &output);
    output
}

/// `#[protoapi::service]` on a trait.
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    let cx = Ctxt::new();
    let args = ServiceArgs::parse(&cx, attr);
    let item: syn::ItemTrait = match syn::parse2(item.clone()) {
        Ok(item) => item,
        Err(error) => {
            let _ = cx.check();
            let error = syn::Error::new(
                error.span(),
                format!("`#[protoapi::service]` goes on a trait: {error}"),
            );
            return with_error(item, error);
        }
    };
    let service = model::Service::from_ast(&cx, args, item);
    check::service(&cx, &service);
    let output = finish(cx, || service.fallback(), || service.expand());
    debug("service", &output);
    output
}

/// The generated code, or on error the user's item (so that one mistake does not cascade)
/// next to every error.
fn finish(
    cx: Ctxt,
    fallback: impl FnOnce() -> TokenStream,
    generate: impl FnOnce() -> TokenStream,
) -> TokenStream {
    match cx.check() {
        Ok(()) => generate(),
        Err(errors) => {
            let fallback = fallback();
            let errors = errors.to_compile_error();
            quote!(#fallback #errors)
        }
    }
}

fn with_error(item: TokenStream, error: syn::Error) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#item #error)
}

fn debug(what: &str, output: &TokenStream) {
    if std::env::var_os("PROTOAPI_DEBUG").is_some_and(|v| v != "0") {
        eprintln!("// protoapi::{what} expansion\n{output}");
    }
}

/// The names a user already derives, so that the macro does not derive them twice.
fn user_derives(attrs: &[syn::Attribute]) -> Vec<String> {
    let mut names = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("derive") {
            continue;
        }
        if let Ok(paths) = attr.parse_args_with(
            syn::punctuated::Punctuated::<syn::Path, syn::Token![,]>::parse_terminated,
        ) {
            names.extend(
                paths
                    .iter()
                    .filter_map(|p| p.segments.last())
                    .map(|s| s.ident.to_string()),
            );
        }
    }
    names
}

/// `#[derive(...)]` of those of `wanted` the user does not derive already.
fn derives(attrs: &[syn::Attribute], wanted: &[&str]) -> TokenStream {
    let existing = user_derives(attrs);
    let missing: Vec<TokenStream> = wanted
        .iter()
        .filter(|name| !existing.iter().any(|e| e == *name))
        .map(|name| core_path(name))
        .collect();
    if missing.is_empty() {
        TokenStream::new()
    } else {
        quote!(#[derive(#(#missing),*)])
    }
}

fn core_path(name: &str) -> TokenStream {
    match name {
        "Clone" => quote!(::core::clone::Clone),
        "Copy" => quote!(::core::marker::Copy),
        "PartialEq" => quote!(::core::cmp::PartialEq),
        "Eq" => quote!(::core::cmp::Eq),
        "PartialOrd" => quote!(::core::cmp::PartialOrd),
        "Ord" => quote!(::core::cmp::Ord),
        "Hash" => quote!(::core::hash::Hash),
        "Debug" => quote!(::core::fmt::Debug),
        _ => quote!(::core::default::Default),
    }
}
