//! The GraphQL schema of the served services, built at startup from their descriptors with
//! async-graphql's dynamic schema: each reply message an object type, each request message's
//! fields a method field's arguments (nested messages input types), each enum a GraphQL enum,
//! and each method a field of `Query` (no side effects), `Mutation` (any other unary method) or
//! `Subscription` (a server stream).

use std::collections::HashMap;
use std::sync::Arc;

use async_graphql::dynamic::{
    Field, FieldFuture, FieldValue, Object, Schema, Subscription, SubscriptionField,
    SubscriptionFieldFuture, TypeRef,
};

use super::call::{Caller, request_json, stream_values};
use super::config::GraphQlConfig;
use super::types::{JSON, Types, empty_field, lower_camel};
use crate::error::Error;
use crate::method::ErasedMethod;
use crate::schema::ServiceDescriptor;
use crate::service::ProtoService;

/// The schema of `services`: every service when `every_service`, else those marked
/// `graphql`. `None` when no method is served. Refuses two methods of one field name, and two
/// different messages (or enums) of one name.
pub(crate) fn build(
    services: &[Box<dyn ProtoService>],
    descriptors: &[ServiceDescriptor],
    config: &GraphQlConfig,
) -> Result<Option<Schema>, Error> {
    let mut types = Types::default();
    let mut methods: Vec<Operation> = Vec::new();
    let mut claimed: HashMap<String, String> = HashMap::new();
    for (service, descriptor) in services.iter().zip(descriptors) {
        if !config.every_service() && !descriptor.graphql {
            continue;
        }
        let full_name = descriptor.full_name();
        for message in &descriptor.messages {
            types.add_message(message, &full_name)?;
        }
        for item in &descriptor.enums {
            types.add_enum(item, &full_name)?;
        }
        for method in service.rpc_methods() {
            let Some(described) = descriptor.methods.iter().find(|m| m.name == method.name) else {
                continue;
            };
            // Client and bidirectional streams have no GraphQL operation.
            if described.client_streaming {
                continue;
            }
            let root = if described.server_streaming {
                Root::Subscription
            } else if described.no_side_effects() {
                Root::Query
            } else {
                Root::Mutation
            };
            let field = lower_camel(described.rust_name);
            if let Some(other) = claimed.insert(field.clone(), full_name.clone()) {
                return Err(Error::route_conflict(format!(
                    "GraphQL field `{field}` is claimed by {other} and {full_name}: fields are \
                     named after methods, one name per server; rename one, or leave its \
                     service out of GraphQL"
                )));
            }
            types.reach(described.output, true);
            types.reach_inner(described.input);
            methods.push(Operation {
                method,
                root,
                field,
                doc: described.doc.trim().to_owned(),
                input: described.input,
                output: described.output,
            });
        }
    }
    if methods.is_empty() {
        return Ok(None);
    }
    types.name_all();
    let types = Arc::new(types);
    let has = |root: Root| methods.iter().any(|operation| operation.root == root);
    let mut query = Object::new("Query");
    let mut mutation = has(Root::Mutation).then(|| Object::new("Mutation"));
    let mut subscription = has(Root::Subscription).then(|| Subscription::new("Subscription"));
    if !has(Root::Query) {
        query = query.field(empty_field());
    }
    for Operation {
        method,
        root,
        field,
        doc,
        input,
        output,
    } in methods
    {
        let arguments = types.arguments(input)?;
        let caller = Arc::new(Caller {
            method,
            input,
            types: types.clone(),
        });
        match root {
            Root::Subscription => {
                let caller = caller.clone();
                let mut item = SubscriptionField::new(
                    field,
                    TypeRef::named_nn(types.name(output)),
                    move |ctx| {
                        let caller = caller.clone();
                        SubscriptionFieldFuture::new(async move {
                            let request = request_json(&caller, &ctx.args)?;
                            stream_values(caller, ctx.ctx, request).await
                        })
                    },
                );
                for argument in arguments {
                    item = item.argument(argument);
                }
                if !doc.is_empty() {
                    item = item.description(doc);
                }
                if let Some(s) = subscription.take() {
                    subscription = Some(s.field(item));
                }
            }
            Root::Query | Root::Mutation => {
                let mut item = Field::new(field, TypeRef::named(types.name(output)), move |ctx| {
                    let caller = caller.clone();
                    FieldFuture::new(async move {
                        let request = request_json(&caller, &ctx.args)?;
                        match caller.call(ctx.ctx, request).await {
                            Ok(answer) => Ok(Some(FieldValue::value(answer))),
                            // A failed method is its field's `null` and an error with the
                            // field's path; the operation's other fields keep their data.
                            Err(error) => {
                                let error = error.into_server_error(ctx.item.pos);
                                ctx.add_error(ctx.set_error_path(error));
                                Ok(None)
                            }
                        }
                    })
                });
                for argument in arguments {
                    item = item.argument(argument);
                }
                if !doc.is_empty() {
                    item = item.description(doc);
                }
                if root == Root::Query {
                    query = query.field(item);
                } else if let Some(m) = mutation.take() {
                    mutation = Some(m.field(item));
                }
            }
        }
    }
    let mut builder = Schema::build(
        "Query",
        mutation.as_ref().map(|_| "Mutation"),
        subscription.as_ref().map(|_| "Subscription"),
    )
    .register(query)
    .limit_depth(config.max_depth)
    .limit_complexity(config.max_complexity)
    .limit_recursive_depth(config.max_depth.saturating_mul(2).max(32));
    if let Some(mutation) = mutation {
        builder = builder.register(mutation);
    }
    if let Some(subscription) = subscription {
        builder = builder.register(subscription);
    }
    if !config.introspection {
        builder = builder.disable_introspection();
    }
    for ty in types.objects() {
        builder = builder.register(ty);
    }
    for ty in types.inputs() {
        builder = builder.register(ty);
    }
    for ty in types.enum_types() {
        builder = builder.register(ty);
    }
    if types.uses_json() {
        builder = builder.register(async_graphql::dynamic::Scalar::new(JSON).description(
            "Any JSON value: a protobuf google.protobuf.Value (Struct: an object; ListValue: \
                 an array), as protoapi::Value, Struct and ListValue hold it.",
        ));
    }
    builder
        .finish()
        .map(Some)
        .map_err(|error| Error::config(format!("the GraphQL schema: {error}")))
}

/// A method as a root field: which root, its name and description, its messages.
struct Operation {
    method: ErasedMethod,
    root: Root,
    field: String,
    doc: String,
    input: &'static str,
    output: &'static str,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Root {
    Query,
    Mutation,
    Subscription,
}

#[cfg(test)]
mod tests {
    use super::super::types::lower_camel;

    #[test]
    fn method_names_become_lower_camel_case() {
        assert_eq!(lower_camel("say_hello"), "sayHello");
        assert_eq!(lower_camel("person"), "person");
        assert_eq!(lower_camel("get_a_b"), "getAB");
        assert_eq!(lower_camel("_x"), "x");
    }
}
