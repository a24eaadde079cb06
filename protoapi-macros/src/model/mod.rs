//! The typed model of what the user wrote, one concept per file. Every item keeps its `syn`
//! original and the spans of what it was built from, for `check` and `expand`.

mod enumeration;
mod message;
mod method;
mod service;

use proc_macro2::TokenStream;
use quote::quote;

pub use enumeration::Enum;
pub use message::{Field, Message};
pub use method::Method;
pub use service::Service;

/// The root path of the runtime crate (`::protoapi` unless `crate = "..."`).
pub fn krate(value: Option<&syn::Path>) -> TokenStream {
    match value {
        Some(path) => quote!(#path),
        None => quote!(::protoapi),
    }
}
