//! The runtime's codec type of a field, such as `Repeated<Int64>`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::types::{Codec, Kind};

impl Codec {
    /// The codec type, such as `__private::Repeated<__private::Int64>`.
    pub fn tokens(&self, private: &TokenStream) -> TokenStream {
        let m = |k: Kind| {
            let marker = k.marker();
            quote!(#private::#marker)
        };
        match self {
            Codec::Singular(k) => {
                let k = m(*k);
                quote!(#private::Singular<#k>)
            }
            Codec::Optional(k) => {
                let k = m(*k);
                quote!(#private::Optional<#k>)
            }
            Codec::Repeated(k) => {
                let k = m(*k);
                quote!(#private::Repeated<#k>)
            }
            Codec::Map(key, value) => {
                let (key, value) = (m(*key), m(*value));
                quote!(#private::Map<#key, #value>)
            }
        }
    }
}

impl Kind {
    /// The runtime's marker type of the kind.
    fn marker(self) -> TokenStream {
        match self {
            Kind::Int32 => quote!(Int32),
            Kind::SInt32 => quote!(SInt32),
            Kind::SFixed32 => quote!(SFixed32),
            Kind::Int64 => quote!(Int64),
            Kind::SInt64 => quote!(SInt64),
            Kind::SFixed64 => quote!(SFixed64),
            Kind::UInt32 => quote!(UInt32),
            Kind::Fixed32 => quote!(Fixed32),
            Kind::UInt64 => quote!(UInt64),
            Kind::Fixed64 => quote!(Fixed64),
            Kind::Bool => quote!(Bool),
            Kind::Float => quote!(Float),
            Kind::Double => quote!(Double),
            Kind::Str => quote!(Str),
            Kind::Bytes => quote!(Bytes),
            Kind::Named => quote!(Named),
        }
    }
}
