//! A message: a struct under `#[protoapi::message]`, and its fields.

use heck::ToLowerCamelCase;
use proc_macro2::Span;
use proc_macro2::TokenStream;
use syn::spanned::Spanned;
use syn::{ItemStruct, LitStr, Type};

use super::krate;
use crate::attr::{self, FieldAttrs, MessageArgs, ValidateAttrs};
use crate::ctxt::Ctxt;
use crate::rules::Rules;
use crate::types::{self, Codec};

pub struct Message {
    pub item: ItemStruct,
    /// `#[form]`: the HTTP body is a form (urlencoded or multipart).
    pub form: bool,
    pub proto_name: String,
    pub doc: String,
    pub krate: TokenStream,
    pub fields: Vec<Field>,
}

pub struct Field {
    pub ident: syn::Ident,
    pub ty: Type,
    pub proto_name: String,
    pub proto_name_span: Span,
    pub json_name: String,
    pub tag: u32,
    pub tag_span: Span,
    pub codec: Codec,
    pub doc: String,
    /// `#[file]`: filled from the multipart file part of the field's name.
    pub file: Option<FileShape>,
    /// `#[validate(...)]`: the field's rules.
    pub rules: Rules,
    /// The message or enum type the field holds (itself, or its element or map value).
    pub named: Option<Type>,
}

/// The type of a `#[file]` field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileShape {
    One,
    Optional,
    Many,
}

/// Takes the marker attributes `#[name]` (no arguments) out of `attrs`; returns whether one was
/// there. A marker with arguments is an error.
fn take_marker(cx: &Ctxt, attrs: &mut Vec<syn::Attribute>, name: &str) -> Option<Span> {
    let mut found = None;
    attrs.retain(|attr| {
        if !attr.path().is_ident(name) {
            return true;
        }
        if !matches!(attr.meta, syn::Meta::Path(_)) {
            cx.error_spanned_by(attr, format_args!("`#[{name}]` takes no arguments"));
        } else if found.is_some() {
            cx.error_spanned_by(attr, format_args!("duplicate `#[{name}]`"));
        }
        found = Some(attr.span());
        false
    });
    found
}

fn file_shape(ty: &Type) -> Option<FileShape> {
    fn last(ty: &Type) -> Option<&syn::PathSegment> {
        match ty {
            Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
            _ => None,
        }
    }
    fn inner(seg: &syn::PathSegment) -> Option<&Type> {
        match &seg.arguments {
            syn::PathArguments::AngleBracketed(args) if args.args.len() == 1 => {
                match args.args.first() {
                    Some(syn::GenericArgument::Type(t)) => Some(t),
                    _ => None,
                }
            }
            _ => None,
        }
    }
    let is_file = |t: &Type| last(t).is_some_and(|s| s.ident == "File" && s.arguments.is_empty());
    let seg = last(ty)?;
    if is_file(ty) {
        Some(FileShape::One)
    } else if seg.ident == "Option" && inner(seg).is_some_and(is_file) {
        Some(FileShape::Optional)
    } else if seg.ident == "Vec" && inner(seg).is_some_and(is_file) {
        Some(FileShape::Many)
    } else {
        None
    }
}

impl Message {
    pub fn from_ast(cx: &Ctxt, args: MessageArgs, mut item: ItemStruct) -> Self {
        if !item.generics.params.is_empty() || item.generics.where_clause.is_some() {
            cx.error_spanned_by(&item.generics, "protoapi messages cannot be generic");
        }
        attr::reject_protoapi_attrs(
            cx,
            &item.attrs,
            "a message; put options in `#[protoapi::message(...)]`",
        );
        let form = take_marker(cx, &mut item.attrs, "form");
        let json = take_marker(cx, &mut item.attrs, "json");
        if let (Some(_), Some(json)) = (form, json) {
            cx.error_at(json, "a message is `#[form]` or `#[json]`, not both");
        }
        let proto_name = args
            .name
            .get()
            .map_or_else(|| item.ident.to_string(), LitStr::value);
        let mut file_markers = Vec::new();
        for field in item.fields.iter_mut() {
            file_markers.push(take_marker(cx, &mut field.attrs, "file"));
        }
        let mut fields = Vec::new();
        match &item.fields {
            syn::Fields::Named(named) => {
                let mut next_tag: u32 = 1;
                for (field, file_marker) in named.named.iter().zip(&file_markers) {
                    let Some(ident) = field.ident.clone() else {
                        continue;
                    };
                    let file = match file_marker {
                        Some(_) => match file_shape(&field.ty) {
                            Some(shape) => Some(shape),
                            None => {
                                cx.error_spanned_by(
                                    &field.ty,
                                    "a `#[file]` field has type `protoapi::File`, `Option<File>` or `Vec<File>`",
                                );
                                continue;
                            }
                        },
                        None => None,
                    };
                    let attrs = FieldAttrs::parse(cx, &field.attrs);
                    let validate = ValidateAttrs::parse(cx, &field.attrs);
                    let encoding = attrs.encoding.get().map(LitStr::value);
                    let codec = match types::classify(&field.ty, encoding.as_deref()) {
                        Ok(codec) => codec,
                        Err(message) => {
                            match attrs.encoding.get() {
                                Some(lit) if message.contains("encoding") => {
                                    cx.error_spanned_by(lit, message)
                                }
                                _ => cx.error_spanned_by(&field.ty, message),
                            }
                            continue;
                        }
                    };
                    let rules = Rules::from_attrs(cx, &validate, &codec);
                    let (tag, tag_span) = match attrs.tag.get() {
                        Some(lit) => match lit.base10_parse::<u32>() {
                            Ok(tag) => (tag, lit.span()),
                            Err(_) => {
                                cx.error_spanned_by(lit, "a tag is a number from 1 to 536870911");
                                (next_tag, lit.span())
                            }
                        },
                        None => (next_tag, ident.span()),
                    };
                    next_tag = tag.saturating_add(1);
                    let ident_text = ident.to_string();
                    let ident_text = ident_text
                        .strip_prefix("r#")
                        .unwrap_or(&ident_text)
                        .to_owned();
                    let (proto_name, proto_name_span) = match attrs.name.get() {
                        Some(lit) => (lit.value(), lit.span()),
                        None => (ident_text, ident.span()),
                    };
                    // `Self` means the message, also where generated code names the type
                    // outside the message's impls.
                    let named = types::named_value(&field.ty, &codec).map(|ty| match &ty {
                        Type::Path(p) if p.qself.is_none() && p.path.is_ident("Self") => {
                            let ident = &item.ident;
                            syn::parse_quote_spanned!(ty.span()=> #ident)
                        }
                        _ => ty,
                    });
                    fields.push(Field {
                        json_name: proto_name.to_lower_camel_case(),
                        proto_name,
                        proto_name_span,
                        ident,
                        ty: field.ty.clone(),
                        tag,
                        tag_span,
                        codec,
                        doc: attr::doc(&field.attrs),
                        file,
                        rules,
                        named,
                    });
                }
            }
            syn::Fields::Unit => {}
            syn::Fields::Unnamed(_) => {
                cx.error_spanned_by(
                    &item.fields,
                    "protoapi messages have named fields (or none: `struct Empty;`)",
                );
            }
        }
        // The macro reads `#[protoapi(...)]`; the compiler must not see it.
        for field in item.fields.iter_mut() {
            field.attrs = attr::without_field_attrs(&field.attrs);
        }
        Message {
            form: form.is_some(),
            doc: attr::doc(&item.attrs),
            krate: krate(args.krate.get()),
            proto_name,
            item,
            fields,
        }
    }
}

#[cfg(test)]
mod tests {
    use quote::quote;

    use super::Message;
    use crate::attr::MessageArgs;
    use crate::ctxt::Ctxt;

    #[test]
    fn tags_follow_declaration_order_and_overrides() {
        let cx = Ctxt::new();
        let args = MessageArgs::parse(&cx, quote!());
        let message = Message::from_ast(
            &cx,
            args,
            syn::parse_quote! {
                pub struct M {
                    pub a: String,
                    #[protoapi(tag = 10)]
                    pub b: i64,
                    pub c: bool,
                    #[protoapi(name = "renamed_d")]
                    pub d: u32,
                }
            },
        );
        assert!(cx.check().is_ok());
        let fields: Vec<_> = message
            .fields
            .iter()
            .map(|f| (f.proto_name.as_str(), f.json_name.as_str(), f.tag))
            .collect();
        assert_eq!(
            fields,
            [
                ("a", "a", 1),
                ("b", "b", 10),
                ("c", "c", 11),
                ("renamed_d", "renamedD", 12)
            ]
        );
    }
}
