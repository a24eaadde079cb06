//! The gRPC side: `<Trait>Server<T>` as a tonic service, one match arm per rpc.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

use super::service::call_ident;
use crate::model::Service;
use crate::respan::respan;

impl Service {
    pub fn grpc(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let trait_ident = &self.item.ident;
        let server = self.server_ident();
        let full_name = self.full_name();
        let arms = self.methods.iter().map(|m| {
            let path = format!("/{full_name}/{}", m.rpc_name);
            let call = call_ident(m);
            let limit = match m.limit {
                Some(bytes) => quote!(::core::option::Option::Some(#bytes)),
                None => quote!(::core::option::Option::None),
            };
            let adapter = m.adapter();
            let marker = self.marker_ident(m);
            let call = respan(
                quote! {
                    #private::grpc::#adapter(
                        #marker,
                        ::core::clone::Clone::clone(&self.inner),
                        #private::method_limits::<#marker>(self.limits, #limit),
                        request,
                        Self::#call,
                    )
                },
                m.request.span(),
            );
            quote! {
                #path => #call,
            }
        });
        // The chunked upload of each unary method; it answers `unimplemented` when the request
        // has no `#[file]` fields.
        let uploads = self
            .methods
            .iter()
            .filter(|m| self.has_chunked_upload(m))
            .map(|m| {
                let path = format!("/{full_name}/{}Chunks", m.rpc_name);
                let call = call_ident(m);
                let limit = match m.limit {
                    Some(bytes) => quote!(::core::option::Option::Some(#bytes)),
                    None => quote!(::core::option::Option::None),
                };
                let marker = self.marker_ident(m);
                let call = respan(
                    quote! {
                        #private::grpc::upload(
                            #marker,
                            ::core::clone::Clone::clone(&self.inner),
                            #private::method_limits::<#marker>(self.limits, #limit),
                            request,
                            Self::#call,
                        )
                    },
                    m.request.span(),
                );
                quote! {
                    #path => #call,
                }
            });
        quote! {
            #[automatically_derived]
            impl<T, B> #private::tonic::codegen::Service<#private::http::Request<B>> for #server<T>
            where
                T: #trait_ident,
                B: #private::tonic::codegen::Body<Data = #private::bytes::Bytes> + ::core::marker::Send + 'static,
                B::Error: ::core::convert::Into<#private::tonic::codegen::StdError> + ::core::marker::Send + 'static,
            {
                type Response = #private::http::Response<#private::tonic::body::Body>;
                type Error = #private::Infallible;
                type Future = #private::grpc::CallFuture;

                fn poll_ready(
                    &mut self,
                    _cx: &mut #private::TaskContext<'_>,
                ) -> #private::Poll<::core::result::Result<(), #private::Infallible>> {
                    #private::Poll::Ready(::core::result::Result::Ok(()))
                }

                fn call(&mut self, request: #private::http::Request<B>) -> Self::Future {
                    match request.uri().path() {
                        #(#arms)*
                        #(#uploads)*
                        path => #private::grpc::unimplemented(path),
                    }
                }
            }
        }
    }
}
