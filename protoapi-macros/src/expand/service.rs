//! `#[protoapi::service]`: the trait, the `<Trait>Server<T>` type and its descriptor.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use crate::model::{Method, Service};
use crate::paths::PathPattern;

impl Service {
    /// On error: the trait as written (without the attributes only the macro reads) and stubs
    /// of `<Trait>Server` and `<Trait>Client`, so that code naming them adds no errors of its
    /// own to the macro's.
    pub fn fallback(&self) -> TokenStream {
        let mut item = self.item.clone();
        for trait_item in &mut item.items {
            if let syn::TraitItem::Fn(method) = trait_item {
                method.attrs = crate::attr::without_protoapi(&method.attrs);
            }
        }
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let vis = &self.item.vis;
        let trait_ident = &self.item.ident;
        let server = self.server_ident();
        let client = self.client_ident();
        let client_methods = self.client_stub_methods();
        quote! {
            #item

            #vis struct #server<T>(::core::marker::PhantomData<T>);

            impl<T: #trait_ident> #server<T> {
                pub fn new(service: T) -> Self {
                    ::core::mem::drop(service);
                    Self(::core::marker::PhantomData)
                }

                pub fn from_arc(service: #private::Arc<T>) -> Self {
                    ::core::mem::drop(service);
                    Self(::core::marker::PhantomData)
                }

                pub fn with_limits(self, limits: #krate::Limits) -> Self {
                    ::core::mem::drop(limits);
                    self
                }

                pub fn proto_file() -> ::std::string::String {
                    ::std::string::String::new()
                }
            }

            #vis struct #client<T = #private::tonic::transport::Channel>(::core::marker::PhantomData<T>);

            impl<T> #client<T> {
                pub fn new(inner: T) -> Self {
                    ::core::mem::drop(inner);
                    Self(::core::marker::PhantomData)
                }

                #client_methods
            }

            impl #client<#private::tonic::transport::Channel> {
                pub async fn connect<D>(destination: D) -> ::core::result::Result<Self, #private::tonic::transport::Error> {
                    ::core::mem::drop(destination);
                    ::core::result::Result::Ok(Self(::core::marker::PhantomData))
                }
            }
        }
    }

    pub fn server_ident(&self) -> syn::Ident {
        format_ident!("{}Server", self.item.ident)
    }

    pub fn client_ident(&self) -> syn::Ident {
        format_ident!("{}Client", self.item.ident)
    }

    pub fn expand(&self) -> TokenStream {
        let trait_def = self.trait_def();
        let server = self.server();
        let grpc = self.grpc();
        let http = self.http();
        let client = self.client();
        let messages = self.method_messages();
        quote! {
            #trait_def
            #messages
            #server
            #grpc
            #http
            #client
        }
    }

    /// The trait, its methods returning `Send` futures so that the server can spawn them;
    /// implementations write plain `async fn`.
    fn trait_def(&self) -> TokenStream {
        let item = &self.item;
        let attrs = &item.attrs;
        let vis = &item.vis;
        let ident = &item.ident;
        let supertraits = item.supertraits.iter();
        let methods = self.methods.iter().map(|m| {
            let attrs = &m.attrs;
            let name = &m.ident;
            let output = &m.output;
            let request_arg = &m.request_arg;
            let request = &m.request_arg_ty;
            let ctx = m.ctx_arg.as_ref().map(|(arg, ty)| quote!(#arg: #ty,));
            quote! {
                #(#attrs)*
                fn #name(&self, #ctx #request_arg: #request)
                    -> impl ::core::future::Future<Output = #output> + ::core::marker::Send;
            }
        });
        quote! {
            #(#attrs)*
            #vis trait #ident: #(#supertraits +)* ::core::marker::Send + ::core::marker::Sync + 'static {
                #(#methods)*
            }
        }
    }

    /// `<Trait>Server<T>`, its constructors, descriptor and call functions.
    fn server(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let vis = &self.item.vis;
        let trait_ident = &self.item.ident;
        let server = self.server_ident();
        let full_name = self.full_name();
        let package = &self.package;
        let name = &self.name;
        let doc = &self.doc;
        let (grpc, http, envelope, socketio, graphql) = (
            self.grpc,
            self.http,
            self.envelope,
            self.socketio,
            self.graphql,
        );
        let service_websocket = match &self.websocket {
            Some((path, _)) => quote!(::core::option::Option::Some(#path)),
            None => quote!(::core::option::Option::None),
        };
        let server_doc = format!(
            "The gRPC service `{full_name}` and the HTTP routes of [`{trait_ident}`]: add it to a `protoapi::Server`."
        );
        let calls = self.methods.iter().map(|m| self.call_fn(m));
        let methods = self.methods.iter().map(|m| {
            let rpc = &m.rpc_name;
            let rust = m.ident.to_string();
            let doc = &m.doc;
            let routes = if self.http {
                self.route_paths(m)
            } else {
                Vec::new()
            };
            let marker = self.marker_ident(m);
            let register_request = quote!(#private::register_request::<#marker>);
            let register_response = if m.download {
                quote!(#private::register_download)
            } else {
                quote!(#private::register_response::<#marker>)
            };
            let server_streaming = m.download || m.server_streaming;
            let client_streaming = m.client_streaming;
            let (status, download) = (m.status, m.download);
            let form = match &m.form {
                Some((name, _)) => quote!(::core::option::Option::Some(#name)),
                None => quote!(::core::option::Option::None),
            };
            let response_body = match &m.response_body {
                Some(field) => {
                    let name = field.to_string();
                    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
                    quote!(#private::response_field::<#marker>(#name))
                }
                None => quote!(::core::option::Option::None),
            };
            let upload = if self.has_chunked_upload(m) {
                quote!(#private::register_upload::<#marker>(&mut registry))
            } else {
                quote!(false)
            };
            let (websocket, websocket_shape) = match &m.websocket {
                Some(websocket) => {
                    let path = self.path_expr(m, websocket.path.as_ref());
                    let shape = shape_expr(websocket.path.as_ref());
                    (quote!(::core::option::Option::Some(#path)), shape)
                }
                None => (
                    quote!(::core::option::Option::None),
                    quote!(::core::option::Option::None),
                ),
            };
            quote! {
                #private::MethodDescriptor {
                    name: #rpc,
                    rust_name: #rust,
                    doc: #doc,
                    input: #register_request(&mut registry),
                    output: #register_response(&mut registry),
                    client_streaming: #client_streaming,
                    server_streaming: #server_streaming,
                    http: ::std::vec![#(#routes),*],
                    websocket: #websocket,
                    websocket_shape: #websocket_shape,
                    status: #status,
                    download: #download,
                    upload: #upload,
                    form: #form,
                    response_body: #response_body,
                }
            }
        });
        quote! {
            #[doc = #server_doc]
            #vis struct #server<T> {
                inner: #private::Arc<T>,
                limits: #krate::Limits,
            }

            #[automatically_derived]
            impl<T> ::core::clone::Clone for #server<T> {
                fn clone(&self) -> Self {
                    Self { inner: ::core::clone::Clone::clone(&self.inner), limits: self.limits }
                }
            }

            #[automatically_derived]
            impl<T> ::core::fmt::Debug for #server<T> {
                fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                    f.debug_struct(::core::stringify!(#server)).field("limits", &self.limits).finish_non_exhaustive()
                }
            }

            impl<T: #trait_ident> #server<T> {
                /// Serves `service`.
                pub fn new(service: T) -> Self {
                    Self::from_arc(#private::Arc::new(service))
                }

                /// Serves a service that is shared with other code.
                pub fn from_arc(service: #private::Arc<T>) -> Self {
                    Self { inner: service, limits: ::core::default::Default::default() }
                }

                /// Sets the size limits (used when the server is a plain tower service; a
                /// `protoapi::Server` applies its own).
                pub fn with_limits(mut self, limits: #krate::Limits) -> Self {
                    self.limits = limits;
                    self
                }
            }

            impl<T: #trait_ident> #server<T> {
                #(#calls)*
            }

            impl<T> #server<T> {
                /// The service's methods, routes (with the default `HttpPathGenerator`) and
                /// messages.
                pub fn descriptor() -> #private::ServiceDescriptor {
                    Self::descriptor_with(&::core::default::Default::default())
                }

                /// The service's methods, routes and messages, with paths from `config`.
                pub fn descriptor_with(config: &#private::HttpConfig) -> #private::ServiceDescriptor {
                    let mut registry = #private::Registry::new();
                    let methods = ::std::vec![#(#methods),*];
                    let (messages, enums) = registry.finish();
                    #private::ServiceDescriptor {
                        package: #package,
                        name: #name,
                        doc: #doc,
                        grpc: #grpc,
                        http: #http,
                        socket: #service_websocket,
                        envelope: #envelope,
                        socketio: #socketio,
                        graphql: #graphql,
                        methods,
                        messages,
                        enums,
                    }
                }

                /// The `.proto` text of the service and every message it uses.
                pub fn proto_file() -> ::std::string::String {
                    Self::descriptor().proto_file()
                }
            }

            #[automatically_derived]
            impl<T> #private::tonic::server::NamedService for #server<T> {
                const NAME: &'static str = #full_name;
            }

            #[automatically_derived]
            impl<T: #trait_ident> #krate::ProtoService for #server<T> {
                fn descriptor_with(&self, config: &#private::HttpConfig) -> #private::ServiceDescriptor {
                    Self::descriptor_with(config)
                }

                fn grpc_service(&self, limits: #krate::Limits) -> #private::grpc::BoxGrpcService {
                    #private::grpc::boxed(::core::clone::Clone::clone(self).with_limits(limits))
                }

                fn http_routes(&self, config: &#private::HttpConfig, routes: &mut #private::rest::Routes) {
                    self.__protoapi_http_routes(config, routes)
                }

                fn rpc_methods(&self) -> ::std::vec::Vec<#private::method::ErasedMethod> {
                    self.__protoapi_rpc_methods()
                }
            }
        }
    }

    /// The function that every transport calls to run one method: it owns the service handle
    /// and returns a `Send` future.
    fn call_fn(&self, m: &Method) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let trait_ident = &self.item.ident;
        let call = call_ident(m);
        let method = &m.ident;
        let request = &m.request_arg_ty;
        let output = &m.output;
        let (ctx_arg, drop_ctx) = if m.has_ctx {
            (quote!(ctx,), TokenStream::new())
        } else {
            (TokenStream::new(), quote!(::core::mem::drop(ctx);))
        };
        let timeout = match m.timeout {
            Some(millis) => quote!(::core::option::Option::Some(#millis)),
            None => quote!(::core::option::Option::None),
        };
        // Not an `async fn`, whose future would hold its arguments twice: as arguments, and
        // moved into the method's future.
        quote! {
            #[doc(hidden)]
            fn #call(
                service: #private::Arc<T>,
                ctx: #krate::Context,
                request: #request,
            ) -> impl ::core::future::Future<Output = #output> {
                let timeout = #private::call_timeout(&ctx, #timeout);
                #drop_ctx
                async move {
                    #private::within(timeout, <T as #trait_ident>::#method(&service, #ctx_arg request)).await
                }
            }
        }
    }

    /// The marker type of each method and its `MethodMessages` impl: the one place that names
    /// the request and response types with their bound, so that a type that is no message is
    /// reported once, at the type in the user's signature.
    fn method_messages(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let full_name = self.full_name();
        let items = self.methods.iter().map(|m| {
            let marker = self.marker_ident(m);
            let rpc = &m.rpc_name;
            let request = &m.request;
            let response = if m.download {
                quote!(#krate::FileChunk)
            } else {
                let response = &m.response;
                quote!(#response)
            };
            quote! {
                #[doc(hidden)]
                #[allow(non_camel_case_types)]
                struct #marker;

                #[automatically_derived]
                impl #private::MethodMessages for #marker {
                    type Request = #request;
                    type Response = #response;
                    const SERVICE: &'static str = #full_name;
                    const METHOD: &'static str = #rpc;
                }
            }
        });
        quote!(#(#items)*)
    }

    /// Whether gRPC may serve the chunked upload `<Rpc>Chunks` of `m`, when its request turns out
    /// to have `#[file]` fields (known at run time): `m` is unary and no method of the service
    /// is called `<Rpc>Chunks`, since a method the user declares wins over the generated form.
    pub fn has_chunked_upload(&self, m: &Method) -> bool {
        let chunks = format!("{}Chunks", m.rpc_name);
        !m.download
            && !m.client_streaming
            && !m.server_streaming
            && self.methods.iter().all(|other| other.rpc_name != chunks)
    }

    /// The marker type of a method, which generated code passes to every transport's glue.
    pub fn marker_ident(&self, m: &Method) -> syn::Ident {
        format_ident!("__protoapi_{}_{}", self.item.ident, m.ident)
    }
}

impl Service {
    /// `HttpRoute { method, path, shape }` of each route of `m`, the path made at run time.
    pub fn route_paths(&self, m: &Method) -> Vec<TokenStream> {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        m.routes
            .iter()
            .map(|route| {
                let verb = route.verb.tokens(&private);
                let path = self.path_expr(m, route.path.as_ref());
                let shape = shape_expr(route.path.as_ref());
                quote!(#private::HttpRoute { method: #verb, path: #path, shape: #shape })
            })
            .collect()
    }

    /// The expression of a route's or WebSocket's path, given `config: &HttpConfig` in scope:
    /// the pattern as written, or (for `None`) the path the server's `HttpPathGenerator` makes.
    pub fn path_expr(&self, m: &Method, pattern: Option<&PathPattern>) -> TokenStream {
        let explicit = match pattern {
            Some(pattern) => {
                let axum = &pattern.axum;
                quote!(::core::option::Option::Some(#axum))
            }
            None => quote!(::core::option::Option::None),
        };
        let (package, name, rust) = (&self.package, &self.name, m.ident.to_string());
        quote!(config.route_path(#explicit, #package, #name, #rust))
    }
}

impl Method {
    /// The name of the runtime adapter for the method's shape, the same in the `grpc` and
    /// `socket` modules.
    pub fn adapter(&self) -> syn::Ident {
        let name = if self.download {
            "download"
        } else {
            match (self.client_streaming, self.server_streaming) {
                (false, false) => "unary",
                (false, true) => "server_streaming",
                (true, false) => "client_streaming",
                (true, true) => "bidi_streaming",
            }
        };
        syn::Ident::new(name, proc_macro2::Span::call_site())
    }
}

/// A route's shape for the runtime's check across services: computed here, once, from the
/// pattern as written; `None` for a generated path.
fn shape_expr(pattern: Option<&PathPattern>) -> TokenStream {
    match pattern {
        Some(pattern) => {
            let shape = &pattern.shape;
            quote!(::core::option::Option::Some(#shape))
        }
        None => quote!(::core::option::Option::None),
    }
}

pub fn call_ident(m: &Method) -> syn::Ident {
    format_ident!("__protoapi_call_{}", m.ident)
}
