//! HTTP verbs as the attribute grammar admits them: the twin of the runtime's
//! `protoapi::schema::Verb`, which the generated code names variant by variant.

use std::fmt;

use proc_macro2::TokenStream;
use quote::quote;

/// A route's verb.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Delete,
    Patch,
}

impl Verb {
    /// The verb as HTTP spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
            Verb::Patch => "PATCH",
        }
    }

    /// Whether requests of this verb carry a body.
    pub fn has_body(self) -> bool {
        matches!(self, Verb::Post | Verb::Put | Verb::Patch)
    }

    /// The runtime's variant: `<private>::Verb::Get`.
    pub fn tokens(self, private: &TokenStream) -> TokenStream {
        match self {
            Verb::Get => quote!(#private::Verb::Get),
            Verb::Post => quote!(#private::Verb::Post),
            Verb::Put => quote!(#private::Verb::Put),
            Verb::Delete => quote!(#private::Verb::Delete),
            Verb::Patch => quote!(#private::Verb::Patch),
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
