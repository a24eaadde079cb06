//! The description of a service and its messages, and the `.proto` text made from it.
//!
//! `#[protoapi::service]` and `#[protoapi::message]` describe what they generate through
//! [`ServiceDescriptor`]; [`ServiceDescriptor::proto_files`] renders it as the `.proto` files
//! that `protoc` accepts and reflection serves, and [`ServiceDescriptor::standalone_proto_file`]
//! as one file that compiles alone, so clients in other languages can be generated from the
//! Rust trait.

mod builtins;
mod descriptor;
mod openapi;
mod proto;
mod well_known;

pub use openapi::{
    ENVELOPE_ERROR_SCHEMA, ERROR_SCHEMA, OpenApiInfo, PROBLEM_SCHEMA, asyncapi_document,
    openapi_document,
};

use crate::codec::ProtoMap;
use crate::codec::wire::{
    Bool, Bytes, Double, Fixed32, Fixed64, Float, Int32, Int64, Map, Named, Optional, Repeated,
    SFixed32, SFixed64, SInt32, SInt64, Singular, Str, UInt32, UInt64,
};

/// A protobuf scalar type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ScalarType {
    /// `int32`
    Int32,
    /// `sint32`
    SInt32,
    /// `sfixed32`
    SFixed32,
    /// `int64`
    Int64,
    /// `sint64`
    SInt64,
    /// `sfixed64`
    SFixed64,
    /// `uint32`
    UInt32,
    /// `fixed32`
    Fixed32,
    /// `uint64`
    UInt64,
    /// `fixed64`
    Fixed64,
    /// `bool`
    Bool,
    /// `float`
    Float,
    /// `double`
    Double,
    /// `string`
    String,
    /// `bytes`
    Bytes,
}

impl ScalarType {
    /// The type's name in a `.proto` file.
    pub fn proto_name(self) -> &'static str {
        match self {
            ScalarType::Int32 => "int32",
            ScalarType::SInt32 => "sint32",
            ScalarType::SFixed32 => "sfixed32",
            ScalarType::Int64 => "int64",
            ScalarType::SInt64 => "sint64",
            ScalarType::SFixed64 => "sfixed64",
            ScalarType::UInt32 => "uint32",
            ScalarType::Fixed32 => "fixed32",
            ScalarType::UInt64 => "uint64",
            ScalarType::Fixed64 => "fixed64",
            ScalarType::Bool => "bool",
            ScalarType::Float => "float",
            ScalarType::Double => "double",
            ScalarType::String => "string",
            ScalarType::Bytes => "bytes",
        }
    }
}

/// The type of a field's values.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// A scalar.
    Scalar(ScalarType),
    /// A message, by name.
    Message(&'static str),
    /// An enum, by name.
    Enum(&'static str),
    /// A map from a scalar key to values of the inner type.
    Map(ScalarType, Box<FieldType>),
}

/// A field's cardinality.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Label {
    /// Singular with implicit presence (or a message field).
    Singular,
    /// proto3 `optional`.
    Optional,
    /// `repeated`.
    Repeated,
}

/// The validation rules of a field (`#[validate(...)]`), as the OpenAPI document states them.
///
/// `min`/`max` bound numbers, `min_len`/`max_len` the characters of strings (and the bytes of
/// `bytes`), `min_items`/`max_items` the entries of repeated fields and maps; `pattern` is a
/// regular expression (the `regex` crate's syntax) a string must match somewhere; `required`
/// means an `Option` field must be present. A custom function has no schema and is not listed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Constraints {
    /// The smallest number allowed.
    pub min: Option<f64>,
    /// The largest number allowed.
    pub max: Option<f64>,
    /// The fewest characters (or bytes) allowed.
    pub min_len: Option<u64>,
    /// The most characters (or bytes) allowed.
    pub max_len: Option<u64>,
    /// The fewest entries allowed.
    pub min_items: Option<u64>,
    /// The most entries allowed.
    pub max_items: Option<u64>,
    /// A regular expression the value must match.
    pub pattern: Option<&'static str>,
    /// Whether an optional field must be present.
    pub required: bool,
}

/// One field of a message.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldDescriptor {
    /// The proto name (the Rust field name unless renamed).
    pub name: &'static str,
    /// The lowerCamelCase JSON name.
    pub json_name: &'static str,
    /// The field number.
    pub tag: u32,
    /// Cardinality.
    pub label: Label,
    /// Value type.
    pub ty: FieldType,
    /// The doc comment.
    pub doc: &'static str,
    /// The validation rules.
    pub constraints: Constraints,
    /// Whether it is a `#[file]` field: a `multipart/form-data` file part.
    pub file: bool,
}

/// A field as a message's table lists it for [`Registry::message`]: its descriptor without the
/// type, and the function that describes (and registers) the type.
#[derive(Debug)]
pub struct FieldEntry {
    /// The proto name.
    pub name: &'static str,
    /// The lowerCamelCase JSON name.
    pub json_name: &'static str,
    /// The field number.
    pub tag: u32,
    /// The doc comment.
    pub doc: &'static str,
    /// Whether it is a `#[file]` field.
    pub file: bool,
    /// The validation rules.
    pub constraints: Constraints,
    /// The field's label and type, registering named types on the way.
    pub describe: fn(&mut Registry) -> (Label, FieldType),
}

/// A message.
#[derive(Clone, Debug, PartialEq)]
pub struct MessageDescriptor {
    /// The message name.
    pub name: &'static str,
    /// The doc comment.
    pub doc: &'static str,
    /// Whether its HTTP body is a form (`#[form]`): urlencoded, or multipart when it has files.
    pub form: bool,
    /// Fields in declaration order.
    pub fields: Vec<FieldDescriptor>,
}

/// One value of an enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumValueDescriptor {
    /// The value's name (as in JSON).
    pub name: &'static str,
    /// Its number.
    pub number: i32,
    /// The doc comment.
    pub doc: &'static str,
}

/// An enum.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnumDescriptor {
    /// The enum name.
    pub name: &'static str,
    /// The doc comment.
    pub doc: &'static str,
    /// Values in declaration order; the first is zero.
    pub values: Vec<EnumValueDescriptor>,
}

/// The HTTP verb of a route: one of the five that `#[protoapi(get = .., post = .., put = ..,
/// delete = .., patch = ..)]` names.
///
/// ```
/// use protoapi::schema::Verb;
/// assert_eq!(Verb::Get.as_str(), "GET");
/// assert!(Verb::Patch.has_body() && !Verb::Delete.has_body());
/// assert_eq!(Verb::Put.to_string(), "PUT");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verb {
    /// `GET`: the request comes from the path and the query.
    Get,
    /// `POST`, the default verb.
    Post,
    /// `PUT`.
    Put,
    /// `DELETE`: the request comes from the path and the query.
    Delete,
    /// `PATCH`.
    Patch,
}

impl Verb {
    /// The verb as HTTP spells it: `GET`, `POST`, `PUT`, `DELETE` or `PATCH`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "GET",
            Verb::Post => "POST",
            Verb::Put => "PUT",
            Verb::Delete => "DELETE",
            Verb::Patch => "PATCH",
        }
    }

    /// Whether requests of this verb carry a body (POST, PUT, PATCH); GET and DELETE take their
    /// whole request from the path and the query.
    pub const fn has_body(self) -> bool {
        matches!(self, Verb::Post | Verb::Put | Verb::Patch)
    }
}

impl std::fmt::Display for Verb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An HTTP route of a method.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HttpRoute {
    /// The HTTP verb.
    pub method: Verb,
    /// The path, parameters in braces: `/students/{sno}`, `/files/{*path}`.
    pub path: String,
    /// The path with each parameter replaced by `{}` (`{*}` for the rest), as the macro made it
    /// from the written path: routes of one shape clash. `None` for a generated path, which has
    /// no parameters and is its own shape.
    pub shape: Option<&'static str>,
}

/// One rpc of a service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MethodDescriptor {
    /// The rpc name (UpperCamelCase).
    pub name: &'static str,
    /// The Rust method name.
    pub rust_name: &'static str,
    /// The doc comment.
    pub doc: &'static str,
    /// The request message name.
    pub input: &'static str,
    /// The response message name.
    pub output: &'static str,
    /// Whether the rpc takes a stream of `input` messages.
    pub client_streaming: bool,
    /// Whether the rpc answers with a stream of `output` messages (downloads do).
    pub server_streaming: bool,
    /// The HTTP routes that reach the method.
    pub http: Vec<HttpRoute>,
    /// The path of the method's WebSocket endpoint (`websocket`).
    pub websocket: Option<String>,
    /// The shape of the WebSocket's path, as [`HttpRoute::shape`].
    pub websocket_shape: Option<&'static str>,
    /// The HTTP success status (`status = 201`; default 200).
    pub status: u16,
    /// Whether the method returns a [`crate::Download`]: a streamed file over HTTP (and a
    /// stream of `protoapi.FileChunk` over gRPC, the `output`).
    pub download: bool,
    /// Whether gRPC also serves the method's chunked upload: a unary method whose request has
    /// `#[file]` fields gets the client stream `<name>Chunks` of `<name>Chunk` messages, each
    /// the request without its files or a `protoapi.FileChunk` ([`crate::UploadChunk`]).
    pub upload: bool,
    /// The form field whose value is the request message in proto3 JSON (`form = "data"`):
    /// the HTTP body is then a form, urlencoded or multipart.
    pub form: Option<&'static str>,
    /// The proto name of the response field whose value is the whole HTTP answer
    /// (`response_body = "items"`); gRPC and the other transports answer the whole message.
    pub response_body: Option<&'static str>,
}

/// A service, with every message and enum it uses.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceDescriptor {
    /// The proto package; empty for none.
    pub package: &'static str,
    /// The service name.
    pub name: &'static str,
    /// The doc comment.
    pub doc: &'static str,
    /// Whether the service is served over gRPC.
    pub grpc: bool,
    /// Whether the service is served over HTTP.
    pub http: bool,
    /// The path of the WebSocket on which every method can be called (`websocket = "/ws"`).
    pub socket: Option<&'static str>,
    /// Whether HTTP answers use the `{"code": 0, "data": ...}` envelope (`envelope`).
    pub envelope: bool,
    /// Whether every method is an event of the server's Socket.IO endpoint (`socketio`).
    pub socketio: bool,
    /// Whether every method is a field of the server's GraphQL schema (`graphql`).
    pub graphql: bool,
    /// The rpcs in declaration order.
    pub methods: Vec<MethodDescriptor>,
    /// Every message the methods use, transitively, in first-use order.
    pub messages: Vec<MessageDescriptor>,
    /// Every enum those messages use.
    pub enums: Vec<EnumDescriptor>,
}

impl MethodDescriptor {
    /// Whether the method is marked side-effect free (`idempotency_level = NO_SIDE_EFFECTS`):
    /// it is when it has a `GET` route, since GET is safe in HTTP. Connect clients may then
    /// call it with GET.
    pub fn no_side_effects(&self) -> bool {
        !self.client_streaming && self.http.iter().any(|route| route.method == Verb::Get)
    }
}

impl ServiceDescriptor {
    /// The full service name, `<package>.<Service>`.
    pub fn full_name(&self) -> String {
        if self.package.is_empty() {
            self.name.to_owned()
        } else {
            format!("{}.{}", self.package, self.name)
        }
    }

    /// The `.proto` text of the service and of every message and enum it uses. When it uses
    /// protoapi's own messages (`protoapi.File`), it imports `protoapi/types.proto`: see
    /// [`Self::proto_files`], and [`Self::standalone_proto_file`] for one file alone.
    pub fn proto_file(&self) -> String {
        proto::render(self)
    }

    /// The `.proto` text of the service as one file that compiles alone: [`Self::proto_file`]
    /// with protoapi's own messages that the rpcs use declared in the service's package
    /// (`hello.File` for `protoapi.File`; `ProtoapiFile` when the service has a type named
    /// `File`) instead of imported. The messages are the same on the wire, in protobuf and in
    /// JSON, so a client generated from this file calls the server; only their full names
    /// differ from what reflection serves. protobuf's well-known types ([`crate::Value`]) stay
    /// imported from `google/protobuf/struct.proto`, which every protobuf compiler ships.
    ///
    /// ```
    /// use protoapi::schema::ServiceDescriptor;
    ///
    /// #[protoapi::message]
    /// pub struct Put {
    ///     pub file: protoapi::File,
    /// }
    ///
    /// #[protoapi::service(package = "files")]
    /// pub trait Files {
    ///     async fn put(&self, req: Put) -> Result<Put, protoapi::Status>;
    /// }
    ///
    /// let descriptor: ServiceDescriptor = FilesServer::<()>::descriptor();
    /// let text = descriptor.standalone_proto_file();
    /// assert!(text.contains("\n  File file = 1;\n") && text.contains("\nmessage File {\n"));
    /// assert!(!text.contains("import"));
    /// ```
    pub fn standalone_proto_file(&self) -> String {
        proto::render_standalone(self)
    }

    /// The descriptor of [`Self::standalone_proto_file`]: what `protoc` makes of its text
    /// (without comments).
    pub fn standalone_file_descriptor(&self) -> prost_types::FileDescriptorProto {
        descriptor::standalone_file(self)
    }

    /// The methods with a chunked upload that the `.proto` text and the descriptors show: those
    /// with [`MethodDescriptor::upload`], but for one whose message name `<name>Chunk` a message
    /// of the service has taken (a clash the server refuses to start with).
    pub(crate) fn chunked_uploads(&self) -> impl Iterator<Item = &MethodDescriptor> {
        self.methods
            .iter()
            .filter(|m| m.upload && self.upload_clash(m).is_none())
    }

    /// The message of the service whose name the chunked upload of `method` needs, if any.
    pub(crate) fn upload_clash(&self, method: &MethodDescriptor) -> Option<&'static str> {
        let name = crate::upload::chunk_message(method.name);
        self.messages
            .iter()
            .map(|m| m.name)
            .find(|&taken| taken == name)
    }

    /// Whether the service serves a WebSocket, whose binary frames are `protoapi.Frame`.
    pub fn has_websocket(&self) -> bool {
        self.socket.is_some() || self.methods.iter().any(|m| m.websocket.is_some())
    }

    /// Whether a client needs `protoapi/types.proto`: the service uses protoapi's own messages,
    /// or serves a WebSocket (whose binary frames are `protoapi.Frame`).
    fn needs_builtins(&self) -> bool {
        self.messages.iter().any(|m| builtins::is_builtin(m.name)) || self.has_websocket()
    }

    /// The name of the service's `.proto` file: its package (or its name) in lowercase, with dots
    /// as directories: `hello.proto`, `acme/billing/v1.proto`.
    pub fn proto_file_name(&self) -> String {
        let stem = if self.package.is_empty() {
            self.name.to_lowercase()
        } else {
            self.package.replace('.', "/")
        };
        format!("{stem}.proto")
    }

    /// Every `.proto` file a client needs: the service's, and `protoapi/types.proto` when the
    /// service uses protoapi's own messages.
    pub fn proto_files(&self) -> Vec<ProtoFile> {
        let mut files = vec![ProtoFile {
            name: self.proto_file_name(),
            content: self.proto_file(),
        }];
        if self.needs_builtins() {
            files.push(ProtoFile {
                name: builtins::TYPES_FILE.to_owned(),
                content: proto::render_builtins(),
            });
        }
        files
    }

    /// The descriptors of the files of [`Self::proto_files`], in the same order: what `protoc`
    /// makes of their text (without comments), and what gRPC reflection serves; then, when the
    /// service uses [`crate::Value`], [`crate::Struct`] or [`crate::ListValue`], the descriptor of
    /// `google/protobuf/struct.proto`, which every protobuf compiler ships (so `proto_files`
    /// leaves its text out).
    pub fn file_descriptors(&self) -> Vec<prost_types::FileDescriptorProto> {
        let mut files = vec![descriptor::service_file(self)];
        if self.needs_builtins() {
            files.push(descriptor::builtins_file());
        }
        if well_known::uses_well_known(self) {
            files.push(well_known::struct_file());
        }
        files
    }
}

/// A `.proto` file: its path (relative, with `/`) and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtoFile {
    /// The path, such as `hello.proto` or `protoapi/types.proto`.
    pub name: String,
    /// The text.
    pub content: String,
}

/// Collects the messages and enums reachable from a service, each once.
#[derive(Debug, Default)]
pub struct Registry {
    messages: Vec<MessageDescriptor>,
    enums: Vec<EnumDescriptor>,
    seen: Vec<&'static str>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns `true` the first time a type name is seen: the caller then describes it.
    pub fn first_visit(&mut self, name: &'static str) -> bool {
        if self.seen.contains(&name) {
            false
        } else {
            self.seen.push(name);
            true
        }
    }

    /// Adds a message.
    pub fn add_message(&mut self, message: MessageDescriptor) {
        self.messages.push(message);
    }

    /// Describes a message from its fields' entries, the first time its name is seen, and
    /// returns how a field refers to it. A message's `register` is this call and a table:
    /// generated once per message, the rest compiled once.
    pub fn message(
        &mut self,
        name: &'static str,
        doc: &'static str,
        form: bool,
        entries: &'static [FieldEntry],
    ) -> FieldType {
        if self.first_visit(name) {
            let fields = entries
                .iter()
                .map(|entry| {
                    let (label, ty) = (entry.describe)(self);
                    FieldDescriptor {
                        name: entry.name,
                        json_name: entry.json_name,
                        tag: entry.tag,
                        label,
                        ty,
                        doc: entry.doc,
                        constraints: entry.constraints.clone(),
                        file: entry.file,
                    }
                })
                .collect();
            self.add_message(MessageDescriptor {
                name,
                doc,
                form,
                fields,
            });
        }
        FieldType::Message(name)
    }

    /// Adds an enum.
    pub fn add_enum(&mut self, descriptor: EnumDescriptor) {
        self.enums.push(descriptor);
    }

    /// The collected messages and enums, each in the order it was first used (a message
    /// before the messages its fields use).
    pub fn finish(mut self) -> (Vec<MessageDescriptor>, Vec<EnumDescriptor>) {
        let seen = &self.seen;
        let position = |name: &str| seen.iter().position(|s| *s == name);
        self.messages.sort_by_key(|m| position(m.name));
        self.enums.sort_by_key(|e| position(e.name));
        (self.messages, self.enums)
    }
}

/// A message or enum type that describes itself, implemented by `#[protoapi::message]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a protoapi message or enum",
    label = "not a protoapi message or enum",
    note = "mark the type with `#[protoapi::message]`"
)]
pub trait NamedSchema {
    /// Registers the type (and what it uses) and returns how a field refers to it.
    fn register(registry: &mut Registry) -> FieldType;
}

/// How one value of a kind appears in a `.proto` file.
pub trait SchemaKind<T> {
    /// The value type, registering named types on the way.
    fn field_type(registry: &mut Registry) -> FieldType;
}

/// How a field appears in a `.proto` file.
pub trait SchemaField<T> {
    /// The field's label and type.
    fn describe(registry: &mut Registry) -> (Label, FieldType);
}

macro_rules! scalar_schema {
    ($($marker:ident => $scalar:ident),* $(,)?) => {$(
        impl<T> SchemaKind<T> for $marker {
            fn field_type(_: &mut Registry) -> FieldType {
                FieldType::Scalar(ScalarType::$scalar)
            }
        }
    )*};
}

scalar_schema! {
    Int32 => Int32, SInt32 => SInt32, SFixed32 => SFixed32,
    Int64 => Int64, SInt64 => SInt64, SFixed64 => SFixed64,
    UInt32 => UInt32, Fixed32 => Fixed32, UInt64 => UInt64, Fixed64 => Fixed64,
    Bool => Bool, Float => Float, Double => Double, Str => String, Bytes => Bytes,
}

impl<T: NamedSchema> SchemaKind<T> for Named {
    fn field_type(registry: &mut Registry) -> FieldType {
        T::register(registry)
    }
}

impl<T, K: SchemaKind<T>> SchemaField<T> for Singular<K> {
    fn describe(registry: &mut Registry) -> (Label, FieldType) {
        (Label::Singular, K::field_type(registry))
    }
}

impl<T, K: SchemaKind<T>> SchemaField<Option<T>> for Optional<K> {
    fn describe(registry: &mut Registry) -> (Label, FieldType) {
        let ty = K::field_type(registry);
        // Message fields have presence already; `optional` is for scalars and enums.
        let label = if matches!(ty, FieldType::Message(_)) {
            Label::Singular
        } else {
            Label::Optional
        };
        (label, ty)
    }
}

impl<T, K: SchemaKind<T>> SchemaField<Vec<T>> for Repeated<K> {
    fn describe(registry: &mut Registry) -> (Label, FieldType) {
        (Label::Repeated, K::field_type(registry))
    }
}

impl<M, KK, VK> SchemaField<M> for Map<KK, VK>
where
    M: ProtoMap,
    KK: SchemaKind<M::Key>,
    VK: SchemaKind<M::Value>,
{
    fn describe(registry: &mut Registry) -> (Label, FieldType) {
        let key = match KK::field_type(registry) {
            FieldType::Scalar(scalar) => scalar,
            // The macro admits only scalar keys.
            _ => ScalarType::String,
        };
        (
            Label::Singular,
            FieldType::Map(key, Box::new(VK::field_type(registry))),
        )
    }
}
