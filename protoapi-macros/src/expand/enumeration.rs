//! `#[protoapi::message]` on a C-like enum: the enum and its prost, JSON, text and schema impls.

use proc_macro2::TokenStream;
use quote::quote;

use super::derives;
use crate::model::Enum;

impl Enum {
    /// On error: the enum as written (without the attributes only the macro reads) and, when
    /// every variant made it into the model, its impls, so that messages that use it add no
    /// errors of their own to the macro's. Without a value 0, its first value is the default.
    pub fn fallback(&self) -> TokenStream {
        let item = &self.item;
        if !item.generics.params.is_empty() || self.variants.len() != item.variants.len() {
            return quote!(#item);
        }
        self.expand_with(true)
    }

    pub fn expand(&self) -> TokenStream {
        self.expand_with(false)
    }

    /// The enum and its impls; `fallback` allows what the checks rejected: no value 0, and
    /// values twice.
    fn expand_with(&self, fallback: bool) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let item = &self.item;
        let ident = &item.ident;
        let derive = derives(
            &item.attrs,
            &[
                "Clone",
                "Copy",
                "Debug",
                "PartialEq",
                "Eq",
                "Hash",
                "PartialOrd",
                "Ord",
            ],
        );
        let user_default = super::user_derives(&item.attrs)
            .iter()
            .any(|d| d == "Default");
        let proto_name = &self.proto_name;
        let doc = &self.doc;
        let variants: Vec<_> = self.variants.iter().map(|v| &v.ident).collect();
        let names: Vec<_> = self.variants.iter().map(|v| &v.proto_name).collect();
        let numbers: Vec<_> = self.variants.iter().map(|v| v.number).collect();
        let docs: Vec<_> = self.variants.iter().map(|v| &v.doc).collect();
        let zero = self
            .variants
            .iter()
            .find(|v| v.number == 0)
            .or_else(|| self.variants.first().filter(|_| fallback))
            .map(|v| &v.ident);
        let allow = fallback.then(|| quote!(#[allow(unreachable_patterns)]));
        let default_impl = match zero {
            Some(zero) if !user_default => quote! {
                #[automatically_derived]
                impl ::core::default::Default for #ident {
                    fn default() -> Self {
                        Self::#zero
                    }
                }
            },
            _ => TokenStream::new(),
        };

        quote! {
            #derive
            #item

            #default_impl

            #[automatically_derived]
            impl #private::NamedValue for #ident {}

            #[automatically_derived]
            impl #krate::ProtoEnum for #ident {
                const PROTO_NAME: &'static str = #proto_name;
                const VALUES: &'static [(&'static str, i32)] = &[ #( (#names, #numbers) ),* ];
                #allow
                fn from_i32(number: i32) -> ::core::option::Option<Self> {
                    match number {
                        #( #numbers => ::core::option::Option::Some(Self::#variants), )*
                        _ => ::core::option::Option::None,
                    }
                }
                fn to_i32(self) -> i32 {
                    match self {
                        #( Self::#variants => #numbers, )*
                    }
                }
                fn name(self) -> &'static str {
                    match self {
                        #( Self::#variants => #names, )*
                    }
                }
            }

            #[automatically_derived]
            impl ::core::convert::From<#ident> for i32 {
                fn from(value: #ident) -> i32 {
                    <#ident as #krate::ProtoEnum>::to_i32(value)
                }
            }

            #[automatically_derived]
            impl ::core::convert::TryFrom<i32> for #ident {
                type Error = i32;
                fn try_from(number: i32) -> ::core::result::Result<Self, i32> {
                    <#ident as #krate::ProtoEnum>::from_i32(number).ok_or(number)
                }
            }

            #[automatically_derived]
            impl #private::NamedType for #ident {
                const WIRE_TYPE: #private::prost::encoding::WireType =
                    #private::prost::encoding::WireType::Varint;
                const PACKABLE: bool = true;
                fn is_default_value(&self) -> bool {
                    <#ident as #krate::ProtoEnum>::to_i32(*self) == 0
                }
                fn encode_value(&self, buf: &mut impl #private::bytes::BufMut) {
                    let number = <#ident as #krate::ProtoEnum>::to_i32(*self);
                    <#private::Int32 as #private::WireKind<i32>>::encode_value(&number, buf)
                }
                fn value_len(&self) -> usize {
                    let number = <#ident as #krate::ProtoEnum>::to_i32(*self);
                    <#private::Int32 as #private::WireKind<i32>>::value_len(&number)
                }
                fn merge_value(
                    &mut self,
                    buf: &mut impl #private::bytes::Buf,
                    _ctx: #private::prost::encoding::DecodeContext,
                ) -> ::core::result::Result<(), #private::prost::DecodeError> {
                    #private::wire::enum_merge_value(self, buf)
                }
            }

            #[automatically_derived]
            impl #private::serde::Serialize for #ident {
                fn serialize<__S: #private::serde::Serializer>(
                    &self,
                    serializer: __S,
                ) -> ::core::result::Result<__S::Ok, __S::Error> {
                    #private::json::serialize_enum(*self, serializer)
                }
            }

            #[automatically_derived]
            impl #private::NamedText for #ident {
                fn merge_named_text(
                    &mut self,
                    rest: ::core::option::Option<&str>,
                    text: &str,
                ) -> ::core::result::Result<(), #private::text::TextError> {
                    #private::text::merge_enum_text(self, rest, text)
                }
            }

            #[automatically_derived]
            impl<'de> #private::serde::Deserialize<'de> for #ident {
                fn deserialize<__D: #private::serde::Deserializer<'de>>(
                    deserializer: __D,
                ) -> ::core::result::Result<Self, __D::Error> {
                    #private::json::deserialize_enum(deserializer)
                }
            }

            #[automatically_derived]
            impl #private::NamedSchema for #ident {
                fn register(registry: &mut #private::Registry) -> #private::FieldType {
                    if registry.first_visit(#proto_name) {
                        registry.add_enum(#private::EnumDescriptor {
                            name: #proto_name,
                            doc: #doc,
                            values: ::std::vec![
                                #( #private::EnumValueDescriptor { name: #names, number: #numbers, doc: #docs } ),*
                            ],
                        });
                    }
                    #private::FieldType::Enum(#proto_name)
                }
            }
        }
    }
}
