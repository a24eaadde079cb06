//! Procedural macros of protoapi. Use them through the `protoapi` crate, which documents them.

use proc_macro::TokenStream;

#[proc_macro_attribute]
pub fn message(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}

#[proc_macro_attribute]
pub fn service(_attr: TokenStream, item: TokenStream) -> TokenStream {
    item
}
