//! The HTTP side: one route per method.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

use super::service::call_ident;
use crate::model::Service;

impl Service {
    pub fn http(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let trait_ident = &self.item.ident;
        let server = self.server_ident();
        let routes = self.methods.iter().map(|m| {
            let path = &m.http_path;
            let call = call_ident(m);
            let handler = super::respan(
                quote!(#private::rest::post_json(::core::clone::Clone::clone(&self.inner), limits, Self::#call)),
                m.request.span(),
            );
            quote! {
                routes.add(#private::http::Method::POST, #path, #handler);
            }
        });
        quote! {
            impl<T: #trait_ident> #server<T> {
                #[doc(hidden)]
                fn __protoapi_http_router(&self, limits: #krate::Limits) -> #private::axum::Router {
                    let mut routes = #private::rest::Routes::new(limits);
                    #(#routes)*
                    routes.into_router()
                }
            }
        }
    }
}
