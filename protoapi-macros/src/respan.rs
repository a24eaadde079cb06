//! Spans of generated tokens. Below every other module.

use proc_macro2::{Group, Span, TokenStream, TokenTree};

/// The tokens with every span set to `span`, so that an error in generated code points at the
/// user's token (a request type, say) rather than at the attribute.
pub fn respan(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tree| {
            if let TokenTree::Group(group) = &tree {
                let mut new = Group::new(group.delimiter(), respan(group.stream(), span));
                new.set_span(span);
                tree = TokenTree::Group(new);
            } else {
                tree.set_span(span);
            }
            tree
        })
        .collect()
}
