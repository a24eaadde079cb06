//! Schemas: messages, enums and fields in the proto3 JSON mapping, with their constraints.

use super::document::{Scope, Used};
use serde_json::{Map, Value, json};

use crate::schema::{
    Constraints, EnumDescriptor, FieldDescriptor, FieldType, Label, MessageDescriptor, ScalarType,
};

impl Scope<'_> {
    /// A message in the proto3 JSON mapping.
    pub(super) fn message_schema(&self, message: &MessageDescriptor) -> Value {
        if let Some(schema) = well_known_schema(message) {
            return schema;
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &message.fields {
            properties.insert(field.json_name.into(), self.json_field_schema(field));
            if field.constraints.required {
                required.push(Value::from(field.json_name));
            }
        }
        let mut schema = Map::new();
        schema.insert("type".into(), "object".into());
        if !message.doc.is_empty() {
            schema.insert("description".into(), message.doc.into());
        }
        schema.insert("properties".into(), Value::Object(properties));
        if !required.is_empty() {
            schema.insert("required".into(), Value::Array(required));
        }
        Value::Object(schema)
    }

    /// A field in the proto3 JSON mapping, with its constraints and doc comment.
    pub(super) fn json_field_schema(&self, field: &FieldDescriptor) -> Value {
        let value = |ty: &FieldType| match ty {
            FieldType::Scalar(scalar) => json_scalar(*scalar),
            FieldType::Message(name) | FieldType::Enum(name) => self.reference(name),
            // A map's value is never a map.
            FieldType::Map(..) => json!({}),
        };
        let mut schema = match (&field.ty, field.label) {
            (FieldType::Map(key, inner), _) => {
                let mut values = value(inner);
                constrain_value(&mut values, inner, &field.constraints);
                let mut map = json!({ "type": "object", "additionalProperties": values });
                if let Some(names) = map_key_schema(*key) {
                    map["propertyNames"] = names;
                }
                constrain_count(&mut map, "Properties", &field.constraints);
                map
            }
            (ty, Label::Repeated) => {
                let mut items = value(ty);
                constrain_value(&mut items, ty, &field.constraints);
                let mut array = json!({ "type": "array", "items": items });
                constrain_count(&mut array, "Items", &field.constraints);
                array
            }
            (ty, _) => {
                let mut schema = value(ty);
                constrain_value(&mut schema, ty, &field.constraints);
                schema
            }
        };
        describe(&mut schema, field.doc);
        schema
    }

    /// The schema of one text value of a field (a path parameter).
    pub(super) fn text_value_schema(&self, field: &FieldDescriptor, used: &mut Used) -> Value {
        let mut schema = match &field.ty {
            FieldType::Scalar(scalar) => text_scalar(*scalar),
            FieldType::Enum(name) => self.use_type(name, used),
            _ => json!({ "type": "string" }),
        };
        constrain_value(&mut schema, &field.ty, &field.constraints);
        schema
    }
}

/// protobuf's JSON types as JSON Schema: any value (`google.protobuf.Value`), an object of any
/// values (`Struct`), an array of any values (`ListValue`).
fn well_known_schema(message: &MessageDescriptor) -> Option<Value> {
    let mut schema = match message.name {
        "google.protobuf.Value" => json!({}),
        "google.protobuf.Struct" => json!({ "type": "object", "additionalProperties": {} }),
        "google.protobuf.ListValue" => json!({ "type": "array", "items": {} }),
        _ => return None,
    };
    describe(&mut schema, message.doc);
    Some(schema)
}

pub(super) const I64_PATTERN: &str = "^-?[0-9]+$";
pub(super) const U64_PATTERN: &str = "^[0-9]+$";

/// A scalar in the proto3 JSON mapping.
pub(super) fn json_scalar(scalar: ScalarType) -> Value {
    use ScalarType::*;
    match scalar {
        Int64 | SInt64 | SFixed64 => json!({
            "type": ["string", "integer"],
            "format": "int64",
            "pattern": I64_PATTERN,
            "minimum": i64::MIN,
            "maximum": i64::MAX,
        }),
        UInt64 | Fixed64 => json!({
            "type": ["string", "integer"],
            "format": "uint64",
            "pattern": U64_PATTERN,
            "minimum": 0,
            "maximum": u64::MAX,
        }),
        Float | Double => float_schema(scalar),
        Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
        _ => text_scalar(scalar),
    }
}

/// A scalar as text (path, query, form): 64-bit integers as plain integers.
pub(super) fn text_scalar(scalar: ScalarType) -> Value {
    use ScalarType::*;
    match scalar {
        Int32 | SInt32 | SFixed32 => json!({
            "type": "integer", "format": "int32", "minimum": i32::MIN, "maximum": i32::MAX,
        }),
        UInt32 | Fixed32 => json!({
            "type": "integer", "format": "uint32", "minimum": 0, "maximum": u32::MAX,
        }),
        Int64 | SInt64 | SFixed64 => json!({
            "type": "integer", "format": "int64", "minimum": i64::MIN, "maximum": i64::MAX,
        }),
        UInt64 | Fixed64 => json!({
            "type": "integer", "format": "uint64", "minimum": 0, "maximum": u64::MAX,
        }),
        Bool => json!({ "type": "boolean" }),
        Float | Double => float_schema(scalar),
        String => json!({ "type": "string" }),
        Bytes => json!({ "type": "string", "contentEncoding": "base64" }),
    }
}

pub(super) fn float_schema(scalar: ScalarType) -> Value {
    let format = if scalar == ScalarType::Float {
        "float"
    } else {
        "double"
    };
    json!({
        "oneOf": [
            { "type": "number", "format": format },
            { "type": "string", "enum": ["NaN", "Infinity", "-Infinity"] },
        ]
    })
}

/// The key of a map as a JSON object key.
pub(super) fn map_key_schema(key: ScalarType) -> Option<Value> {
    use ScalarType::*;
    match key {
        String => None,
        Bool => Some(json!({ "enum": ["true", "false"] })),
        UInt32 | Fixed32 | UInt64 | Fixed64 => Some(json!({ "pattern": U64_PATTERN })),
        _ => Some(json!({ "pattern": I64_PATTERN })),
    }
}

pub(super) fn enum_schema(descriptor: &EnumDescriptor) -> Value {
    let names: Vec<&str> = descriptor.values.iter().map(|v| v.name).collect();
    let mut description = descriptor.doc.to_owned();
    let documented: Vec<String> = descriptor
        .values
        .iter()
        .filter(|v| !v.doc.is_empty())
        .map(|v| format!("- `{}`: {}", v.name, v.doc))
        .collect();
    if !documented.is_empty() {
        if !description.is_empty() {
            description.push_str("\n\n");
        }
        description.push_str(&documented.join("\n"));
    }
    let mut schema = json!({ "type": "string", "enum": names });
    describe(&mut schema, &description);
    schema
}

pub(super) fn describe(schema: &mut Value, doc: &str) {
    if !doc.is_empty()
        && let Some(object) = schema.as_object_mut()
    {
        object.insert("description".into(), doc.into());
    }
}

pub(super) fn error_schema() -> Value {
    let codes = [
        "canceled",
        "unknown",
        "invalid_argument",
        "deadline_exceeded",
        "not_found",
        "already_exists",
        "permission_denied",
        "resource_exhausted",
        "failed_precondition",
        "aborted",
        "out_of_range",
        "unimplemented",
        "internal",
        "unavailable",
        "data_loss",
        "unauthenticated",
    ];
    json!({
        "title": "Error",
        "description": "The error body of every failed HTTP call (the Connect protocol's error shape).",
        "type": "object",
        "properties": {
            "code": { "type": "string", "enum": codes, "description": "The gRPC code, in snake_case." },
            "message": { "type": "string", "description": "What went wrong, for a developer." },
            "details": { "type": "array", "items": { "type": "object" }, "description": "The error's `google.rpc` details (a validation's `google.rpc.BadRequest`): each `{\"type\", \"value\", \"debug\"}`." },
        },
        "required": ["code", "message", "details"],
    })
}

pub(super) fn problem_schema() -> Value {
    json!({
        "title": "Problem",
        "description": "An error as an RFC 9457 problem: answered when `Accept` prefers `application/problem+json` (or the server answers every error so), with the error body's `code` and `details` as extension members.",
        "type": "object",
        "properties": {
            "type": { "type": "string", "enum": ["about:blank"] },
            "title": { "type": "string", "description": "The HTTP status's reason phrase." },
            "status": { "type": "integer", "minimum": 400, "maximum": 599 },
            "detail": { "type": "string", "description": "What went wrong, for a developer: the error body's `message`." },
            "code": { "type": "string", "description": "The gRPC code, in snake_case: the error body's `code`." },
            "details": { "type": "array", "items": { "type": "object" } },
        },
        "required": ["type", "title", "status", "detail", "code", "details"],
    })
}

pub(super) fn envelope_error_schema() -> Value {
    json!({
        "title": "EnvelopeError",
        "description": "The error body of a service with `envelope` (the Go protoapi's shape).",
        "type": "object",
        "properties": {
            "code": { "type": "integer", "minimum": 1, "maximum": 16, "description": "The gRPC code's number." },
            "message": { "type": "string" },
        },
        "required": ["code", "message"],
    })
}
/// Puts the value rules of a field on the schema of one value.
pub(super) fn constrain_value(schema: &mut Value, ty: &FieldType, constraints: &Constraints) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(min) = constraints.min {
        object.insert("minimum".into(), number(min));
    }
    if let Some(max) = constraints.max {
        object.insert("maximum".into(), number(max));
    }
    if ty == &FieldType::Scalar(ScalarType::Bytes) {
        // Bounds on bytes, as bounds on their base64 text (unpadded at the least, padded at
        // the most).
        if let Some(min) = constraints.min_len {
            object.insert("minLength".into(), min.saturating_mul(4).div_ceil(3).into());
        }
        if let Some(max) = constraints.max_len {
            object.insert("maxLength".into(), max.div_ceil(3).saturating_mul(4).into());
        }
    } else {
        if let Some(min) = constraints.min_len {
            object.insert("minLength".into(), min.into());
        }
        if let Some(max) = constraints.max_len {
            object.insert("maxLength".into(), max.into());
        }
    }
    if let Some(pattern) = constraints.pattern {
        object.insert("pattern".into(), pattern.into());
    }
}

/// Puts the entry-count rules of a field on an array (`Items`) or a map (`Properties`).
pub(super) fn constrain_count(schema: &mut Value, what: &str, constraints: &Constraints) {
    let Some(object) = schema.as_object_mut() else {
        return;
    };
    if let Some(min) = constraints.min_items {
        object.insert(format!("min{what}"), min.into());
    }
    if let Some(max) = constraints.max_items {
        object.insert(format!("max{what}"), max.into());
    }
}

/// A bound as a JSON number: an integer when it is one.
pub(super) fn number(value: f64) -> Value {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    if value.fract() == 0.0 && value.abs() <= EXACT {
        Value::from(value as i64)
    } else {
        Value::from(value)
    }
}
