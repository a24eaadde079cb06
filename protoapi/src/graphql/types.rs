//! The GraphQL types of the served messages and enums: each reply message an object type,
//! each message inside a request an input type, each enum a GraphQL enum, protobuf's JSON
//! types the `JSON` scalar; and what a reply field resolves to.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use async_graphql::Value;
use async_graphql::dynamic::{Enum, Field, FieldFuture, InputObject, InputValue, Object, TypeRef};

use crate::error::Error;
use crate::schema::{
    EnumDescriptor, FieldDescriptor, FieldType, Label, MessageDescriptor, ScalarType,
};

/// The scalar of protobuf's JSON types, `google.protobuf.Value`, `Struct` and `ListValue`.
pub(super) const JSON: &str = "JSON";

/// The one argument of a method whose request is any JSON.
pub(super) const JSON_ARGUMENT: &str = "value";

/// Whether a message is one of protobuf's JSON types, which GraphQL sees as the `JSON` scalar.
pub(super) fn is_json(message: &str) -> bool {
    matches!(
        message,
        "google.protobuf.Value" | "google.protobuf.Struct" | "google.protobuf.ListValue"
    )
}

/// The field an object type or input type gets when its message has none: GraphQL types need
/// at least one field. It is always `null`.
pub(super) const EMPTY_FIELD: &str = "_empty";

/// The messages and enums of the served services, by name, shared by the resolvers that read
/// and write them.
#[derive(Default)]
pub(super) struct Types {
    pub(super) messages: HashMap<&'static str, MessageDescriptor>,
    enums: HashMap<&'static str, EnumDescriptor>,
    /// The messages that are some answer's, or in one: they get object types.
    outputs: HashSet<&'static str>,
    /// The messages that are some request's, or in one: they get input types.
    inputs: HashSet<&'static str>,
    /// The request messages, whose fields are their method's arguments.
    arguments: HashSet<&'static str>,
    /// GraphQL's name of each message and enum.
    names: HashMap<&'static str, String>,
}

/// The field of a type without fields.
pub(super) fn empty_field() -> Field {
    Field::new(EMPTY_FIELD, TypeRef::named(TypeRef::BOOLEAN), |_| {
        FieldFuture::from_value(None)
    })
    .description("Always null: a GraphQL type needs a field, and this one has none of its own.")
}

/// A message's or enum's GraphQL name: its own name; protoapi's own messages
/// (`protoapi.File`) by their short name (`File`), or `ProtoapiFile` when a service has a
/// message of that name.
fn graphql_name(name: &str, taken: &HashSet<&str>) -> String {
    match name.strip_prefix("protoapi.") {
        Some(short) if !taken.contains(short) => short.to_owned(),
        Some(short) => format!("Protoapi{short}"),
        None => name.replace('.', "_"),
    }
}

/// The type of a map field's entries: `<Message><Field>Entry`.
fn entry_name(message: &str, field: &FieldDescriptor) -> String {
    let mut name = message.to_owned();
    let camel = lower_camel(field.name);
    let mut chars = camel.chars();
    if let Some(first) = chars.next() {
        name.extend(first.to_uppercase());
        name.push_str(chars.as_str());
    }
    name.push_str("Entry");
    name
}

/// The GraphQL scalar of a protobuf scalar, as proto3 JSON writes it: 64-bit integers and
/// `bytes` (base64) as strings.
fn scalar(ty: ScalarType) -> &'static str {
    match ty {
        ScalarType::Int32
        | ScalarType::SInt32
        | ScalarType::SFixed32
        | ScalarType::UInt32
        | ScalarType::Fixed32 => TypeRef::INT,
        ScalarType::Int64
        | ScalarType::SInt64
        | ScalarType::SFixed64
        | ScalarType::UInt64
        | ScalarType::Fixed64
        | ScalarType::String
        | ScalarType::Bytes => TypeRef::STRING,
        ScalarType::Bool => TypeRef::BOOLEAN,
        ScalarType::Float | ScalarType::Double => TypeRef::FLOAT,
    }
}

/// The default of a field the answer's JSON leaves out (proto3 JSON leaves out defaults);
/// `None` for a message, which is `null`.
pub(super) fn default_value(field: &FieldDescriptor, types: &Types) -> Option<Value> {
    if field.label == Label::Repeated || matches!(field.ty, FieldType::Map(..)) {
        return Some(Value::List(Vec::new()));
    }
    if field.label == Label::Optional {
        return None;
    }
    match &field.ty {
        FieldType::Scalar(ty) => Some(match scalar(*ty) {
            TypeRef::INT => Value::from(0),
            TypeRef::FLOAT => Value::from(0.0),
            TypeRef::BOOLEAN => Value::Boolean(false),
            _ if matches!(
                ty,
                ScalarType::Int64
                    | ScalarType::SInt64
                    | ScalarType::SFixed64
                    | ScalarType::UInt64
                    | ScalarType::Fixed64
            ) =>
            {
                Value::String("0".to_owned())
            }
            _ => Value::String(String::new()),
        }),
        FieldType::Enum(name) => types
            .enums
            .get(name)
            .and_then(|e| e.values.iter().find(|v| v.number == 0).or(e.values.first()))
            .map(|v| Value::Enum(async_graphql::Name::new(v.name))),
        FieldType::Message(_) | FieldType::Map(..) => None,
    }
}

impl Types {
    /// GraphQL's name of a message or enum (the object type's; an input type adds `Input`).
    pub(super) fn name(&self, name: &str) -> String {
        if is_json(name) {
            return JSON.to_owned();
        }
        self.names
            .get(name)
            .cloned()
            .unwrap_or_else(|| name.replace('.', "_"))
    }

    /// The input type of a message.
    fn input_name(&self, message: &str) -> String {
        if is_json(message) {
            return JSON.to_owned();
        }
        format!("{}Input", self.name(message))
    }

    /// Whether any message is any JSON, which needs the `JSON` scalar.
    pub(super) fn uses_json(&self) -> bool {
        self.messages.keys().any(|name| is_json(name))
    }

    /// Names every message and enum.
    pub(super) fn name_all(&mut self) {
        let taken: HashSet<&str> = self
            .messages
            .keys()
            .chain(self.enums.keys())
            .copied()
            .collect();
        let names = taken
            .iter()
            .map(|name| (*name, graphql_name(name, &taken)))
            .collect();
        self.names = names;
    }

    /// Marks `message` and the messages in it as answers' (`output`) or requests'.
    pub(super) fn reach(&mut self, message: &'static str, output: bool) {
        let seen = if output {
            &mut self.outputs
        } else {
            &mut self.inputs
        };
        if !seen.insert(message) {
            return;
        }
        for name in self.inner(message) {
            self.reach(name, output);
        }
    }

    /// Marks the messages in a request message as requests'.
    pub(super) fn reach_inner(&mut self, message: &'static str) {
        self.arguments.insert(message);
        for name in self.inner(message) {
            self.reach(name, false);
        }
    }

    /// The messages that the fields of `message` hold.
    fn inner(&self, message: &str) -> Vec<&'static str> {
        self.messages
            .get(message)
            .map(|m| m.fields.iter().filter_map(|f| message_of(&f.ty)).collect())
            .unwrap_or_default()
    }

    pub(super) fn add_message(
        &mut self,
        message: &MessageDescriptor,
        service: &str,
    ) -> Result<(), Error> {
        match self.messages.get(message.name) {
            Some(known) if known.fields != message.fields => Err(Error::route_conflict(format!(
                "GraphQL type `{}` is two different messages (one of {service}): rename one",
                message.name
            ))),
            Some(_) => Ok(()),
            None => {
                if ["Query", "Mutation", "Subscription"].contains(&message.name) {
                    return Err(Error::config(format!(
                        "message `{}` of {service} cannot be a GraphQL type: the name is a root \
                         type's; rename the message",
                        message.name
                    )));
                }
                self.messages.insert(message.name, message.clone());
                Ok(())
            }
        }
    }

    pub(super) fn add_enum(&mut self, item: &EnumDescriptor, service: &str) -> Result<(), Error> {
        match self.enums.get(item.name) {
            Some(known) if known.values != item.values => Err(Error::route_conflict(format!(
                "GraphQL enum `{}` is two different enums (one of {service}): rename one",
                item.name
            ))),
            Some(_) => Ok(()),
            None => {
                self.enums.insert(item.name, item.clone());
                Ok(())
            }
        }
    }

    /// The arguments of a method: its request message's fields; `value` for a request that is
    /// any JSON.
    pub(super) fn arguments(&self, input: &str) -> Result<Vec<InputValue>, Error> {
        if is_json(input) {
            return Ok(vec![InputValue::new(JSON_ARGUMENT, TypeRef::named(JSON))]);
        }
        let message = self.messages.get(input).ok_or_else(|| {
            Error::config(format!(
                "GraphQL: the request message `{input}` is not described"
            ))
        })?;
        Ok(message
            .fields
            .iter()
            .map(|field| self.input_field(message.name, field))
            .collect())
    }

    /// A field as an input value: every field may be left out (its default), so every
    /// argument is nullable.
    fn input_field(&self, message: &str, field: &FieldDescriptor) -> InputValue {
        let ty = match &field.ty {
            FieldType::Map(..) => {
                TypeRef::named_nn_list(format!("{}Input", entry_name(&self.name(message), field)))
            }
            ty => {
                let name = match ty {
                    FieldType::Scalar(s) => scalar(*s).to_owned(),
                    FieldType::Enum(e) => self.name(e),
                    FieldType::Message(m) => self.input_name(m),
                    FieldType::Map(..) => String::new(),
                };
                if field.label == Label::Repeated {
                    TypeRef::named_nn_list(name)
                } else {
                    TypeRef::named(name)
                }
            }
        };
        let mut value = InputValue::new(field.json_name, ty);
        if !field.doc.trim().is_empty() {
            value = value.description(field.doc.trim());
        }
        value
    }

    /// The object type of every message, and of every map's entries.
    pub(super) fn objects(self: &Arc<Self>) -> Vec<Object> {
        let mut objects = Vec::new();
        for message in self.messages.values() {
            if !self.outputs.contains(message.name) || is_json(message.name) {
                continue;
            }
            let mut object = Object::new(self.name(message.name));
            if !message.doc.trim().is_empty() {
                object = object.description(message.doc.trim());
            }
            if message.fields.is_empty() {
                object = object.field(empty_field());
            }
            for field in &message.fields {
                object = object.field(self.output_field(message.name, field));
                if let FieldType::Map(_, value) = &field.ty {
                    let entry = Object::new(entry_name(&self.name(message.name), field))
                        .field(value_field("key", TypeRef::named_nn(TypeRef::STRING)))
                        .field(value_field("value", self.map_value_type(value, true)));
                    objects.push(entry);
                }
            }
            objects.push(object);
        }
        objects
    }

    /// The type of a map's values.
    fn map_value_type(&self, value: &FieldType, output: bool) -> TypeRef {
        match value {
            FieldType::Scalar(s) => TypeRef::named_nn(scalar(*s)),
            FieldType::Enum(e) => TypeRef::named_nn(self.name(e)),
            FieldType::Message(m) if output => TypeRef::named(self.name(m)),
            FieldType::Message(m) => TypeRef::named(self.input_name(m)),
            FieldType::Map(..) => TypeRef::named(TypeRef::STRING),
        }
    }

    /// A reply field: read from the parent's JSON, its default when the JSON leaves it out.
    fn output_field(self: &Arc<Self>, message: &str, field: &FieldDescriptor) -> Field {
        let named = |nullable: bool, name: String| {
            if field.label == Label::Repeated {
                TypeRef::named_nn_list_nn(name)
            } else if nullable {
                TypeRef::named(name)
            } else {
                TypeRef::named_nn(name)
            }
        };
        let optional = field.label == Label::Optional;
        let ty = match &field.ty {
            FieldType::Scalar(s) => named(optional, scalar(*s).to_owned()),
            FieldType::Enum(e) => named(optional, self.name(e)),
            FieldType::Message(m) => named(true, self.name(m)),
            FieldType::Map(..) => TypeRef::named_nn_list_nn(entry_name(&self.name(message), field)),
        };
        let key = field.json_name;
        let proto_name = field.name;
        let map = matches!(field.ty, FieldType::Map(..));
        let default = default_value(field, self);
        // Read at once from the parent's value: no future to box.
        let mut out = Field::new(field.json_name, ty, move |ctx| {
            let Some(Value::Object(parent)) = ctx.parent_value.as_value() else {
                return FieldFuture::from_value(None);
            };
            let value = parent
                .get(key)
                .or_else(|| parent.get(proto_name))
                .filter(|value| !matches!(value, Value::Null));
            FieldFuture::from_value(match value {
                Some(Value::Object(entries)) if map => Some(Value::List(
                    entries
                        .iter()
                        .map(|(key, value)| {
                            let mut entry = async_graphql::indexmap::IndexMap::new();
                            entry.insert(
                                async_graphql::Name::new("key"),
                                Value::String(key.to_string()),
                            );
                            entry.insert(async_graphql::Name::new("value"), value.clone());
                            Value::Object(entry)
                        })
                        .collect(),
                )),
                Some(value) => Some(value.clone()),
                None => default.clone(),
            })
        });
        if !field.doc.trim().is_empty() {
            out = out.description(field.doc.trim());
        }
        out
    }

    /// The input type of every message, and of every map's entries.
    pub(super) fn inputs(&self) -> Vec<InputObject> {
        let mut inputs = Vec::new();
        for message in self.messages.values() {
            // A request message is its method's arguments: only the messages in one (a
            // request message too, when it is) get an input type.
            if is_json(message.name) {
                continue;
            }
            let whole = self.inputs.contains(message.name);
            if !whole && !self.arguments.contains(message.name) {
                continue;
            }
            for field in &message.fields {
                if let FieldType::Map(_, value) = &field.ty {
                    inputs.push(
                        InputObject::new(format!(
                            "{}Input",
                            entry_name(&self.name(message.name), field)
                        ))
                        .field(InputValue::new("key", TypeRef::named_nn(TypeRef::STRING)))
                        .field(InputValue::new("value", self.map_value_type(value, false))),
                    );
                }
            }
            if !whole {
                continue;
            }
            let mut input = InputObject::new(self.input_name(message.name));
            if !message.doc.trim().is_empty() {
                input = input.description(message.doc.trim());
            }
            if message.fields.is_empty() {
                input = input.field(InputValue::new(
                    EMPTY_FIELD,
                    TypeRef::named(TypeRef::BOOLEAN),
                ));
            }
            for field in &message.fields {
                input = input.field(self.input_field(message.name, field));
            }
            inputs.push(input);
        }
        inputs
    }

    pub(super) fn enum_types(&self) -> Vec<Enum> {
        self.enums
            .values()
            .map(|item| {
                let mut ty = Enum::new(self.name(item.name));
                if !item.doc.trim().is_empty() {
                    ty = ty.description(item.doc.trim());
                }
                for value in &item.values {
                    let mut v = async_graphql::dynamic::EnumItem::new(value.name);
                    if !value.doc.trim().is_empty() {
                        v = v.description(value.doc.trim());
                    }
                    ty = ty.item(v);
                }
                ty
            })
            .collect()
    }
}

/// The message a field holds, itself or as a map's values.
fn message_of(ty: &FieldType) -> Option<&'static str> {
    match ty {
        FieldType::Message(name) => Some(name),
        FieldType::Map(_, inner) => message_of(inner),
        FieldType::Scalar(_) | FieldType::Enum(_) => None,
    }
}

/// A field of a map entry: the entry's own value under `name`.
fn value_field(name: &'static str, ty: TypeRef) -> Field {
    Field::new(name, ty, move |ctx| {
        let Some(Value::Object(entry)) = ctx.parent_value.as_value() else {
            return FieldFuture::from_value(None);
        };
        FieldFuture::from_value(entry.get(name).cloned())
    })
}

/// `say_hello` → `sayHello`.
pub(super) fn lower_camel(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}
