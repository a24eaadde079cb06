//! `#[protoapi::message]` on a struct: the struct and its prost, JSON, text and schema impls.

use proc_macro2::TokenStream;
use quote::{quote, quote_spanned};
use syn::spanned::Spanned;

use super::derives;
use crate::model::Message;

impl Message {
    /// On error: the struct as written (without the attributes only the macro reads) and, unless
    /// it is generic or a tuple struct, the impls of a message without fields, so that services
    /// and messages that use it add no errors of their own to the macro's. Its `Clone`,
    /// `PartialEq`, `Debug` and `Default` are bound on its field types, which may be the mistake.
    pub fn fallback(&self) -> TokenStream {
        let item = &self.item;
        if !item.generics.params.is_empty()
            || item.generics.where_clause.is_some()
            || matches!(item.fields, syn::Fields::Unnamed(_))
        {
            return quote!(#item);
        }
        // A type naming the struct itself is left out: its bound would cycle through this impl.
        let types: Vec<_> = item
            .fields
            .iter()
            .map(|f| &f.ty)
            .filter(|ty| !names_ident(quote!(#ty), &item.ident))
            .collect();
        let bounds = if types.is_empty() {
            TokenStream::new()
        } else {
            quote! {
                where #(
                    for<'__protoapi> #types: ::core::clone::Clone + ::core::cmp::PartialEq
                        + ::core::fmt::Debug + ::core::default::Default
                ),*
            }
        };
        let empty = Message {
            item: self.item.clone(),
            form: self.form,
            proto_name: self.proto_name.clone(),
            doc: self.doc.clone(),
            krate: self.krate.clone(),
            fields: Vec::new(),
        };
        empty.expand_with(&bounds, !item.fields.is_empty())
    }

    pub fn expand(&self) -> TokenStream {
        let hand_written = self.fields.iter().any(|f| f.named.is_some());
        self.expand_with(&self.field_bounds(), hand_written)
    }

    /// The struct and its impls, each under `bounds`; `Clone`, `PartialEq`, `Debug` and
    /// `Default` written out under them when `hand_written`, else derived.
    fn expand_with(&self, bounds: &TokenStream, hand_written: bool) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let item = &self.item;
        let ident = &item.ident;
        let derive = self.std_impls(bounds, hand_written);
        let field_of = self.field_of_impls();
        let proto_name = &self.proto_name;
        let doc = &self.doc;

        let idents: Vec<_> = self.fields.iter().map(|f| &f.ident).collect();
        let tags: Vec<_> = self.fields.iter().map(|f| f.tag).collect();
        let proto_names: Vec<_> = self.fields.iter().map(|f| &f.proto_name).collect();
        let json_names: Vec<_> = self.fields.iter().map(|f| &f.json_name).collect();
        let field_docs: Vec<_> = self.fields.iter().map(|f| &f.doc).collect();
        let file_flags: Vec<_> = self.fields.iter().map(|f| f.file.is_some()).collect();
        let indexes: Vec<_> = (0..self.fields.len()).collect();
        // `<Codec as Trait<FieldType>>`, spanned at the field type so that a type that is no
        // message points at the field.
        let codec_as = |trait_name: TokenStream| -> Vec<TokenStream> {
            self.fields
                .iter()
                .map(|f| {
                    let codec = f.codec.tokens(&private);
                    let ty = &f.ty;
                    quote_spanned!(ty.span()=> <#codec as #private::#trait_name<#ty>>)
                })
                .collect()
        };
        let wire = codec_as(quote!(WireField));
        let json = codec_as(quote!(JsonField));
        let schema = codec_as(quote!(SchemaField));
        let text = codec_as(quote!(TextField));
        let form = self.form;
        let file_fields: Vec<_> = self.fields.iter().filter(|f| f.file.is_some()).collect();
        let files = !file_fields.is_empty();
        let file_names = file_fields.iter().map(|f| {
            let (proto, json) = (&f.proto_name, &f.json_name);
            quote!([#proto, #json])
        });
        let merge_file = if file_fields.is_empty() {
            TokenStream::new()
        } else {
            let names = file_fields.iter().map(|f| {
                let mut names = vec![f.proto_name.clone()];
                if f.json_name != f.proto_name {
                    names.push(f.json_name.clone());
                }
                quote!(#(#names)|*)
            });
            let idents = file_fields.iter().map(|f| &f.ident);
            quote! {
                fn merge_file(&mut self, name: &str, file: #krate::File) -> bool {
                    match name {
                        #( #names => {
                            #private::FileField::put_file(&mut self.#idents, file);
                            true
                        } )*
                        _ => false,
                    }
                }
            }
        };
        // Each field answers to its Rust name, proto name and JSON name (without repeats).
        let text_names: Vec<TokenStream> = self
            .fields
            .iter()
            .map(|f| {
                let mut names: Vec<String> = Vec::new();
                let rust = f.ident.to_string();
                let rust = rust.strip_prefix("r#").unwrap_or(&rust).to_owned();
                for name in [rust, f.proto_name.clone(), f.json_name.clone()] {
                    if !names.contains(&name) {
                        names.push(name);
                    }
                }
                quote!(#(#names)|*)
            })
            .collect();
        let codecs: Vec<_> = self
            .fields
            .iter()
            .map(|f| f.codec.tokens(&private))
            .collect();
        let types: Vec<_> = self.fields.iter().map(|f| &f.ty).collect();
        let constraints: Vec<_> = self
            .fields
            .iter()
            .map(|f| f.rules.constraints(&private))
            .collect();
        let validate = self.validate_impl(bounds);

        quote! {
            #derive
            #item

            #field_of

            #[automatically_derived]
            impl #private::NamedValue for #ident #bounds {}

            #[automatically_derived]
            impl #private::prost::Message for #ident #bounds {
                fn encode_raw(&self, buf: &mut impl #private::bytes::BufMut) {
                    #( #wire::encode(#tags, &self.#idents, buf); )*
                }

                fn merge_field(
                    &mut self,
                    tag: u32,
                    wire_type: #private::prost::encoding::WireType,
                    buf: &mut impl #private::bytes::Buf,
                    ctx: #private::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #private::prost::DecodeError> {
                    match tag {
                        #(
                            #tags => match #wire::merge(wire_type, &mut self.#idents, buf, ctx) {
                                ::core::result::Result::Ok(()) => ::core::result::Result::Ok(()),
                                ::core::result::Result::Err(error) => ::core::result::Result::Err(
                                    #private::wire::field_error(error, #proto_name, #proto_names),
                                ),
                            },
                        )*
                        _ => #private::prost::encoding::skip_field(wire_type, tag, buf, ctx),
                    }
                }

                fn encoded_len(&self) -> usize {
                    0 #( + #wire::encoded_len(#tags, &self.#idents) )*
                }

                fn clear(&mut self) {
                    *self = <Self as ::core::default::Default>::default();
                }
            }

            #[automatically_derived]
            impl #private::NamedType for #ident #bounds {
                const WIRE_TYPE: #private::prost::encoding::WireType =
                    #private::prost::encoding::WireType::LengthDelimited;
                const PACKABLE: bool = false;
                fn is_default_value(&self) -> bool {
                    false
                }
                fn encode_value(&self, buf: &mut impl #private::bytes::BufMut) {
                    #private::wire::message_encode_value(self, buf)
                }
                fn value_len(&self) -> usize {
                    #private::wire::message_value_len(self)
                }
                fn merge_value(
                    &mut self,
                    buf: &mut impl #private::bytes::Buf,
                    ctx: #private::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #private::prost::DecodeError> {
                    #private::wire::message_merge_value(self, buf, ctx)
                }
                fn validate_named(&self, violations: &mut #krate::Violations) {
                    #private::Validate::validate_into(self, violations)
                }
            }

            #validate

            #[automatically_derived]
            impl #private::serde::Serialize for #ident #bounds {
                fn serialize<__S: #private::serde::Serializer>(
                    &self,
                    serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    // A map, not a struct: serde_json compiles every struct field's serializer
                    // twice (once for its `RawValue` support), a map entry's once.
                    use #private::serde::ser::SerializeMap as _;
                    let mut state = serializer.serialize_map(::core::option::Option::None)?;
                    #(
                        if !#json::is_absent(&self.#idents) {
                            state.serialize_entry(
                                #json_names,
                                &#private::json::Ser::<#codecs, #types>::new(&self.#idents),
                            )?;
                        }
                    )*
                    state.end()
                }
            }

            #[automatically_derived]
            impl<'de> #private::serde::Deserialize<'de> for #ident #bounds {
                fn deserialize<__D: #private::serde::Deserializer<'de>>(
                    deserializer: __D,
                ) -> ::core::result::Result<Self, __D::Error> {
                    #private::json::deserialize_message::<Self, __D>(deserializer)
                }
            }

            #[automatically_derived]
            impl #private::JsonMessage for #ident #bounds {
                const NAME: &'static str = #proto_name;
                const FIELDS: &'static [(&'static str, &'static str)] = &[ #( (#proto_names, #json_names) ),* ];
                fn merge_json_field<'de, __A: #private::serde::de::MapAccess<'de>>(
                    &mut self,
                    index: usize,
                    map: &mut __A,
                ) -> ::core::result::Result<(), __A::Error> {
                    match index {
                        #(
                            #indexes => {
                                self.#idents = map.next_value_seed(#private::json::Seed::<#codecs, #types>::new())?;
                            }
                        )*
                        _ => {
                            map.next_value::<#private::serde::de::IgnoredAny>()?;
                        }
                    }
                    ::core::result::Result::Ok(())
                }

                fn field_index(name: &str) -> ::core::option::Option<usize> {
                    match name {
                        #( #text_names => ::core::option::Option::Some(#indexes), )*
                        _ => ::core::option::Option::None,
                    }
                }

                fn serialize_field<__S: #private::serde::Serializer>(
                    &self,
                    index: usize,
                    serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    match index {
                        #(
                            #indexes => #private::serde::Serialize::serialize(
                                &#private::json::Ser::<#codecs, #types>::new(&self.#idents),
                                serializer,
                            ),
                        )*
                        _ => ::core::result::Result::Err(
                            <__S::Error as #private::serde::ser::Error>::custom("no such field"),
                        ),
                    }
                }
            }

            #[automatically_derived]
            impl #private::NamedSchema for #ident #bounds {
                fn register(registry: &mut #private::Registry) -> #private::FieldType {
                    // An inline `const`, not a `const` item: it sees the impl's bounds.
                    let fields: &'static [#private::FieldEntry] = const { &[
                        #(
                            #private::FieldEntry {
                                name: #proto_names,
                                json_name: #json_names,
                                tag: #tags,
                                doc: #field_docs,
                                file: #file_flags,
                                constraints: #constraints,
                                describe: #schema::describe,
                            }
                        ),*
                    ] };
                    registry.message(#proto_name, #doc, #form, fields)
                }
            }

            #[automatically_derived]
            impl #private::TextMessage for #ident #bounds {
                fn merge_text(
                    &mut self,
                    key: &str,
                    text: &str,
                ) -> ::core::result::Result<bool, #private::text::TextError> {
                    let (head, rest) = #private::text::split_key(key);
                    // A `match` and `?`, not a closure per field: closures are compiled one by one.
                    let known = match head {
                        #(
                            #text_names => {
                                #text::merge_text(&mut self.#idents, rest, text)?;
                                true
                            }
                        )*
                        _ => false,
                    };
                    ::core::result::Result::Ok(known)
                }

                #merge_file
            }

            #[automatically_derived]
            impl #private::NamedText for #ident #bounds {
                fn merge_named_text(
                    &mut self,
                    rest: ::core::option::Option<&str>,
                    text: &str,
                ) -> ::core::result::Result<(), #private::text::TextError> {
                    #private::text::merge_message_text(self, rest, text)
                }
            }

            #[automatically_derived]
            impl #krate::ProtoMessage for #ident #bounds {
                const PROTO_NAME: &'static str = #proto_name;
                const FORM: bool = #form;
                const FILES: bool = #files;
                const FILE_FIELDS: &'static [[&'static str; 2]] = &[#(#file_names),*];
            }
        }
    }
}

impl Message {
    /// `where for<'__protoapi> T: FieldOf<Self, I>` for each field `I` holding a message or
    /// enum `T`: the message's impls hold when its fields' types are messages. Higher-ranked, so
    /// that a type that is no message is no error of these impls: [`Message::field_of_impls`]
    /// reports it once, at the field.
    pub(super) fn field_bounds(&self) -> TokenStream {
        let krate = &self.krate;
        let ident = &self.item.ident;
        let bounds: Vec<TokenStream> = self
            .fields
            .iter()
            .enumerate()
            .filter_map(|(index, field)| {
                let ty = field.named.as_ref()?;
                Some(quote!(for<'__protoapi> #ty: #krate::__private::FieldOf<#ident, #index>))
            })
            .collect();
        if bounds.is_empty() {
            TokenStream::new()
        } else {
            quote!(where #(#bounds),*)
        }
    }

    /// `impl FieldOf<Self, I> for T {}` of each field holding a message or enum `T`, spanned at
    /// the field's type: the one error when `T` is no message.
    fn field_of_impls(&self) -> TokenStream {
        let krate = &self.krate;
        let ident = &self.item.ident;
        let impls = self.fields.iter().enumerate().filter_map(|(index, field)| {
            let ty = field.named.as_ref()?;
            Some(quote_spanned! {ty.span()=>
                #[automatically_derived]
                impl #krate::__private::FieldOf<#ident, #index> for #ty {}
            })
        });
        quote!(#(#impls)*)
    }

    /// `Clone`, `PartialEq`, `Debug` and `Default` unless the user derives them: written out
    /// under `bounds` when `hand_written`, else derived.
    fn std_impls(&self, bounds: &TokenStream, hand_written: bool) -> TokenStream {
        const WANTED: &[&str] = &["Clone", "PartialEq", "Debug", "Default"];
        let item = &self.item;
        if !hand_written {
            return derives(&item.attrs, WANTED);
        }
        let existing = super::user_derives(&item.attrs);
        let ident = &item.ident;
        // The struct's fields, which on error may be more than the model's.
        let idents: Vec<_> = item
            .fields
            .iter()
            .filter_map(|f| f.ident.as_ref())
            .collect();
        let names: Vec<String> = idents
            .iter()
            .map(|i| {
                let name = i.to_string();
                name.strip_prefix("r#").unwrap_or(&name).to_owned()
            })
            .collect();
        let name = ident.to_string();
        let wanted = |trait_name: &str| !existing.iter().any(|e| e == trait_name);
        let clone = wanted("Clone").then(|| {
            quote! {
                #[automatically_derived]
                impl ::core::clone::Clone for #ident #bounds {
                    fn clone(&self) -> Self {
                        Self { #( #idents: ::core::clone::Clone::clone(&self.#idents), )* }
                    }
                }
            }
        });
        let partial_eq = wanted("PartialEq").then(|| {
            quote! {
                #[automatically_derived]
                impl ::core::cmp::PartialEq for #ident #bounds {
                    fn eq(&self, other: &Self) -> bool {
                        true #( && self.#idents == other.#idents )*
                    }
                }
            }
        });
        let debug = wanted("Debug").then(|| {
            quote! {
                #[automatically_derived]
                impl ::core::fmt::Debug for #ident #bounds {
                    fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                        f.debug_struct(#name) #( .field(#names, &self.#idents) )* .finish()
                    }
                }
            }
        });
        let default = wanted("Default").then(|| {
            quote! {
                #[automatically_derived]
                impl ::core::default::Default for #ident #bounds {
                    fn default() -> Self {
                        Self { #( #idents: ::core::default::Default::default(), )* }
                    }
                }
            }
        });
        quote!(#clone #partial_eq #debug #default)
    }
}

/// Whether `tokens` hold `ident` or `Self`.
fn names_ident(tokens: TokenStream, ident: &syn::Ident) -> bool {
    tokens.into_iter().any(|tree| match tree {
        proc_macro2::TokenTree::Ident(i) => i == *ident || i == "Self",
        proc_macro2::TokenTree::Group(g) => names_ident(g.stream(), ident),
        _ => false,
    })
}
