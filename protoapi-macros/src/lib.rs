//! Procedural macros of protoapi. Use them through the `protoapi` crate, which documents them.
//!
//! Each macro goes one way through the same stages: `attr` parses the attribute grammar,
//! `model` builds the typed model (keeping spans) with the helpers `types` (a field's codec),
//! `paths` (HTTP paths, sizes, durations) and `rules` (`#[validate]`), `check` applies the rules
//! across items, and `expand` writes the code. `ctxt`, `names`, `respan` and `verb` sit below
//! all of them. Every error is collected in a `Ctxt` and reported at once; on error the user's
//! item is still emitted so that one mistake does not cascade. Set `PROTOAPI_DEBUG=1` to print
//! each expansion to standard error.

mod attr;
mod check;
mod ctxt;
mod expand;
mod model;
mod names;
mod paths;
mod respan;
mod rules;
mod types;
mod verb;

use proc_macro::TokenStream;

/// See `protoapi::message`.
#[proc_macro_attribute]
pub fn message(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::message(attr.into(), item.into()).into()
}

/// See `protoapi::service`.
#[proc_macro_attribute]
pub fn service(attr: TokenStream, item: TokenStream) -> TokenStream {
    expand::service(attr.into(), item.into()).into()
}
