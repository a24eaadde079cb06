//! `<Trait>Client`: a typed tonic client.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

use crate::model::{Method, Service};
use crate::names::is_reserved_method;
use crate::respan::respan;

impl Service {
    pub fn client(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let vis = &self.item.vis;
        let client = self.client_ident();
        let full_name = self.full_name();
        let client_doc = format!(
            "A gRPC client of `{full_name}`: `{client}::connect(\"http://127.0.0.1:8080\").await?`."
        );
        let methods = self.methods.iter().map(|m| {
            let attrs = m.attrs.iter().filter(|a| a.path().is_ident("doc"));
            let method = &m.ident;
            let request = &m.request;
            let rpc = &m.rpc_name;
            let path = format!("/{full_name}/{rpc}");
            let adapter = if m.download {
                quote!(download)
            } else {
                let adapter = m.adapter();
                quote!(#adapter)
            };
            let (argument, answer) = self.client_types(m);
            let marker = self.marker_ident(m);
            let into_request = if m.client_streaming {
                quote!(#private::tonic::IntoStreamingRequest::into_streaming_request(request))
            } else {
                quote!(#private::tonic::IntoRequest::into_request(request))
            };
            // Spanned at the request type, so that a type that is no message is reported there.
            let call = respan(
                quote! {
                    #private::grpc::client::#adapter(
                        #marker,
                        &self.inner,
                        #into_request,
                        #path,
                        #full_name,
                        #rpc,
                    )
                },
                request.span(),
            );
            quote! {
                #(#attrs)*
                pub async fn #method(
                    &self,
                    request: #argument,
                ) -> ::core::result::Result<#private::tonic::Response<#answer>, #krate::Status> {
                    #call.await
                }
            }
        });
        quote! {
            #[doc = #client_doc]
            #[derive(::core::clone::Clone, ::core::fmt::Debug)]
            #vis struct #client<T = #private::tonic::transport::Channel> {
                inner: #private::tonic::client::Grpc<T>,
            }

            impl #client<#private::tonic::transport::Channel> {
                /// Connects to a server, such as `"http://127.0.0.1:8080"`.
                pub async fn connect<D>(destination: D) -> ::core::result::Result<Self, #private::tonic::transport::Error>
                where
                    D: ::core::convert::TryInto<#private::tonic::transport::Endpoint>,
                    D::Error: ::core::convert::Into<#private::tonic::codegen::StdError>,
                {
                    let channel = #private::tonic::transport::Endpoint::new(destination)?.connect().await?;
                    ::core::result::Result::Ok(Self::new(channel))
                }
            }

            impl<T: #private::grpc::client::ClientTransport> #client<T> {
                /// A client over any tonic transport (a `Channel`, or one wrapped in layers).
                pub fn new(inner: T) -> Self {
                    Self { inner: #private::tonic::client::Grpc::new(inner) }
                }

                /// A client that sends every request to `origin` (scheme and authority).
                pub fn with_origin(inner: T, origin: #private::http::Uri) -> Self {
                    Self { inner: #private::tonic::client::Grpc::with_origin(inner, origin) }
                }

                /// The underlying tonic client.
                pub fn into_inner(self) -> #private::tonic::client::Grpc<T> {
                    self.inner
                }
            }

            impl<T: #private::grpc::client::ClientTransport> #client<T> {
                #(#methods)*
            }
        }
    }

    /// The argument and the answer type of a client method.
    fn client_types(&self, m: &Method) -> (TokenStream, TokenStream) {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let (request, response) = (&m.request, &m.response);
        let argument = if m.client_streaming {
            quote!(impl #private::tonic::IntoStreamingRequest<Message = #request>)
        } else {
            quote!(impl #private::tonic::IntoRequest<#request>)
        };
        let answer = if m.download {
            quote!(#private::tonic::Streaming<#krate::FileChunk>)
        } else if m.server_streaming {
            quote!(#krate::Streaming<#response>)
        } else {
            quote!(#response)
        };
        (argument, answer)
    }

    /// On error: the client's methods that made it into the model, answering `unimplemented`,
    /// so that code calling them adds no errors of its own.
    pub fn client_stub_methods(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let methods = self
            .methods
            .iter()
            .filter(|m| !is_reserved_method(&m.ident.to_string()));
        let methods = methods.map(|m| {
            let method = &m.ident;
            let (argument, answer) = self.client_types(m);
            quote! {
                pub async fn #method(
                    &self,
                    request: #argument,
                ) -> ::core::result::Result<#private::tonic::Response<#answer>, #krate::Status> {
                    ::core::mem::drop(request);
                    ::core::result::Result::Err(#krate::Status::unimplemented(""))
                }
            }
        });
        quote!(#(#methods)*)
    }
}
