//! The HTTP side: one route per verb and path of each method.

use proc_macro2::TokenStream;
use quote::quote;
use syn::spanned::Spanned;

use super::service::call_ident;
use crate::model::Service;
use crate::respan::respan;

impl Service {
    /// The method with its message types erased, as the message transports (WebSocket,
    /// Connect) run it.
    fn erased_method(&self, m: &crate::model::Method) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let adapter = m.adapter();
        let call = call_ident(m);
        let rpc = &m.rpc_name;
        let marker = self.marker_ident(m);
        let limit = match m.limit {
            Some(bytes) => quote!(::core::option::Option::Some(#bytes)),
            None => quote!(::core::option::Option::None),
        };
        respan(
            quote!(#private::method::#adapter(
                #marker,
                #rpc,
                #limit,
                ::core::clone::Clone::clone(&self.inner),
                Self::#call,
            )),
            m.request.span(),
        )
    }

    pub fn http(&self) -> TokenStream {
        let krate = &self.krate;
        let private = quote!(#krate::__private);
        let trait_ident = &self.item.ident;
        let server = self.server_ident();
        let envelope = self.envelope;
        let mut checks = Vec::new();
        let mut routes = Vec::new();
        for m in &self.methods {
            let call = call_ident(m);
            let request = &m.request;
            let adapter = m.adapter();
            let marker = self.marker_ident(m);
            let status = m.status;
            let limit = match m.limit {
                Some(bytes) => quote!(::core::option::Option::Some(#bytes)),
                None => quote!(::core::option::Option::None),
            };
            let form = match &m.form {
                Some((name, _)) => quote!(::core::option::Option::Some(#name)),
                None => quote!(::core::option::Option::None),
            };
            let response_body = match &m.response_body {
                Some(field) => {
                    // The field exists: a missing one is an error on the literal.
                    let response = &m.response;
                    checks.push(respan(
                        quote!(let _ = |message: &#response| { let _ = &message.#field; };),
                        field.span(),
                    ));
                    let name = field.to_string();
                    let name = name.strip_prefix("r#").unwrap_or(&name).to_owned();
                    quote!(::core::option::Option::Some(#name))
                }
                None => quote!(::core::option::Option::None),
            };
            for route in &m.routes {
                let verb = route.verb.tokens(&private);
                let body = route.has_body();
                let path = self.path_expr(m, route.path.as_ref());
                // Every path parameter names a field of the request: a missing one is an error
                // on the path literal.
                if let Some(pattern) = route.path.as_ref().filter(|p| !p.params.is_empty()) {
                    let fields = pattern
                        .params
                        .iter()
                        .map(|p| syn::Ident::new(p, route.span));
                    checks.push(respan(
                        quote!(let _ = |message: &#request| { #( let _ = &message.#fields; )* };),
                        route.span,
                    ));
                }
                let handler = respan(
                    quote!(#private::rest::#adapter(
                        #marker,
                        ::core::clone::Clone::clone(&self.inner),
                        config,
                        #private::rest::Endpoint {
                            verb: #verb,
                            body: #body,
                            status: #status,
                            limit: #limit,
                            envelope: #envelope,
                            form: #form,
                            response_body: #response_body,
                        },
                        Self::#call,
                    )),
                    request.span(),
                );
                routes.push(quote! {
                    routes.add(#verb, &#path, #handler);
                });
            }
            if let Some(websocket) = &m.websocket {
                if let Some(pattern) = websocket.path.as_ref().filter(|p| !p.params.is_empty()) {
                    let fields = pattern
                        .params
                        .iter()
                        .map(|p| syn::Ident::new(p, websocket.span));
                    checks.push(respan(
                        quote!(let _ = |message: &#request| { #( let _ = &message.#fields; )* };),
                        websocket.span,
                    ));
                }
                let path = self.path_expr(m, websocket.path.as_ref());
                let method = self.erased_method(m);
                routes.push(quote! {
                    routes.add_websocket(&#path, #private::websocket::WebSocketEndpoint::method(config, #method));
                });
            }
        }
        if let Some((path, _)) = &self.websocket {
            let methods = self.methods.iter().map(|m| self.erased_method(m));
            routes.push(quote! {
                routes.add_websocket(#path, #private::websocket::WebSocketEndpoint::service(config, ::std::vec![#(#methods),*]));
            });
        }
        let rpc_methods = self.methods.iter().map(|m| self.erased_method(m));
        quote! {
            impl<T: #trait_ident> #server<T> {
                #[doc(hidden)]
                fn __protoapi_rpc_methods(&self) -> ::std::vec::Vec<#private::method::ErasedMethod> {
                    ::std::vec![#(#rpc_methods),*]
                }

                #[doc(hidden)]
                fn __protoapi_http_routes(&self, config: &#private::HttpConfig, routes: &mut #private::rest::Routes) {
                    // A service of client streams without `websocket` has no route at all.
                    let _ = (config, &routes);
                    #(#checks)*
                    #(#routes)*
                }
            }
        }
    }
}
