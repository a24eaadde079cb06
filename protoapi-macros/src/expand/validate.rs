//! `impl Validate` of a message: the rules of `#[validate(...)]`, field by field, and the
//! rules of nested messages.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::spanned::Spanned;

use crate::model::{Field, Message};
use crate::rules::{Bound, Rules};
use crate::types::{Codec, Kind};

impl Message {
    /// `impl Validate`: one block per field that has rules or holds messages.
    pub(super) fn validate_impl(&self, bounds: &TokenStream) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let ident = &self.item.ident;
        let fields: Vec<TokenStream> = self
            .fields
            .iter()
            .enumerate()
            .filter_map(|(index, field)| field.validate_block(&private, index))
            .collect();
        let body = if fields.is_empty() {
            quote!(let _ = violations;)
        } else {
            quote!(#(#fields)*)
        };
        quote! {
            #[automatically_derived]
            impl #private::Validate for #ident #bounds {
                fn validate_into(&self, violations: &mut #krate::Violations) {
                    #body
                }
            }
        }
    }
}

impl Field {
    fn validate_block(&self, private: &TokenStream, index: usize) -> Option<TokenStream> {
        let holds_named = matches!(
            self.codec,
            Codec::Singular(Kind::Named)
                | Codec::Optional(Kind::Named)
                | Codec::Repeated(Kind::Named)
                | Codec::Map(_, Kind::Named)
        );
        if self.rules.is_empty() && !holds_named {
            return None;
        }
        let rules = &self.rules;
        let ident = &self.ident;
        let ty = &self.ty;
        let name = &self.proto_name;
        let codec = self.codec.tokens(private);
        let values = quote_spanned!(ty.span()=> <#codec as #private::validate::FieldValues<#ty>>);
        let v = private;

        // Rules on the field as a whole.
        let mut whole = Vec::new();
        if rules.required {
            whole.push(quote!(#v::validate::required(violations, #values::count(&self.#ident));));
        }
        if let Some(n) = rules.min_items {
            whole.push(quote!(#v::validate::min_items(violations, #values::count(&self.#ident), #n, #values::ITEMS);));
        }
        if let Some(n) = rules.max_items {
            whole.push(quote!(#v::validate::max_items(violations, #values::count(&self.#ident), #n, #values::ITEMS);));
        }

        // Rules on each value: the field's own, or each element or map value.
        let mut each = Vec::new();
        if let Some(bound) = &rules.min {
            let bound = &bound.tokens;
            each.push(quote!(#v::validate::min(violations, value, #bound);));
        }
        if let Some(bound) = &rules.max {
            let bound = &bound.tokens;
            each.push(quote!(#v::validate::max(violations, value, #bound);));
        }
        if let Some(n) = rules.min_len {
            each.push(quote!(#v::validate::min_len(violations, value, #n);));
        }
        if let Some(n) = rules.max_len {
            each.push(quote!(#v::validate::max_len(violations, value, #n);));
        }
        if let Some(pattern) = &rules.pattern {
            let static_name = format_ident!("__PROTOAPI_PATTERN_{}", index);
            each.push(quote! {
                static #static_name: #v::validate::Pattern = #v::validate::Pattern::new(#pattern);
                #static_name.check(violations, value);
            });
        }
        if holds_named {
            each.push(quote!(#v::validate::nested(violations, value);));
        }
        let each = if each.is_empty() {
            TokenStream::new()
        } else {
            quote! {
                #values::each(&self.#ident, violations, |violations, value| {
                    #(#each)*
                });
            }
        };

        let custom = rules.custom.as_ref().map(|path| {
            // Every token at the literal, so that a wrong signature points at it.
            let mut field = ident.clone();
            field.set_span(path.span());
            quote_spanned!(path.span()=> #v::validate::custom(violations, #path(&self.#field));)
        });

        Some(quote! {
            violations.field(#name, |violations| {
                #(#whole)*
                #each
                #custom
            });
        })
    }
}

impl Rules {
    /// The rules as `protoapi::schema::Constraints`, for the descriptor.
    pub(crate) fn constraints(&self, private: &TokenStream) -> TokenStream {
        let option_f64 = |bound: &Option<Bound>| match bound {
            Some(bound) => {
                let value = bound.number.as_f64();
                quote!(::core::option::Option::Some(#value))
            }
            None => quote!(::core::option::Option::None),
        };
        let option_u64 = |count: Option<u64>| match count {
            Some(count) => quote!(::core::option::Option::Some(#count)),
            None => quote!(::core::option::Option::None),
        };
        let min = option_f64(&self.min);
        let max = option_f64(&self.max);
        let min_len = option_u64(self.min_len);
        let max_len = option_u64(self.max_len);
        let min_items = option_u64(self.min_items);
        let max_items = option_u64(self.max_items);
        let pattern = match &self.pattern {
            Some(lit) => quote!(::core::option::Option::Some(#lit)),
            None => quote!(::core::option::Option::None),
        };
        let required = self.required;
        quote! {
            #private::Constraints {
                min: #min,
                max: #max,
                min_len: #min_len,
                max_len: #max_len,
                min_items: #min_items,
                max_items: #max_items,
                pattern: #pattern,
                required: #required,
            }
        }
    }
}
