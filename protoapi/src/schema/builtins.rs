//! protoapi's own messages (`protoapi.File`, `protoapi.FileChunk`, the WebSocket's
//! `protoapi.Frame`) in a service's schema: imported from `protoapi/types.proto` by the files the
//! server serves, or declared in the service's own file so that it compiles alone.

use super::{FieldType, MessageDescriptor, ServiceDescriptor};
use crate::upload::chunk_message;

/// The file that holds protoapi's own messages.
pub(super) const TYPES_FILE: &str = "protoapi/types.proto";

/// The package of protoapi's own messages.
pub(super) const PACKAGE: &str = "protoapi";

/// The message of a file piece, which every chunked upload uses.
const FILE_CHUNK: &str = "protoapi.FileChunk";

/// Whether a message is one of protoapi's own, defined in [`TYPES_FILE`].
pub(super) fn is_builtin(name: &str) -> bool {
    name.starts_with("protoapi.")
}

/// protoapi's own messages, in the order of `protoapi/types.proto`.
pub(super) fn builtin_messages() -> Vec<MessageDescriptor> {
    use super::NamedSchema as _;
    let mut registry = super::Registry::new();
    crate::file::File::register(&mut registry);
    crate::download::FileChunk::register(&mut registry);
    crate::websocket::Frame::register(&mut registry);
    registry.finish().0
}

/// How one file of a service names protoapi's own messages.
#[derive(Debug)]
pub(super) enum Builtins {
    /// By their full names (`protoapi.File`), imported from [`TYPES_FILE`]: the files that
    /// `--proto-out` writes and reflection serves, naming the types as the server does.
    Imported,
    /// Declared in the file itself, in the service's package: the file that compiles alone.
    Inline(Vec<Inline>),
}

/// One of protoapi's messages declared in a service's own file.
#[derive(Debug)]
pub(super) struct Inline {
    /// The message, named `protoapi.<Name>`.
    pub(super) message: MessageDescriptor,
    /// Its name in the service's package: `<Name>`, or `Protoapi<Name>` when the service has a
    /// type of that name already.
    pub(super) local: String,
}

impl Builtins {
    /// The messages of protoapi that the rpcs of `service` reach, each under a name that no type
    /// of the service (nor the service itself) takes.
    pub(super) fn inline(service: &ServiceDescriptor) -> Self {
        let all = builtin_messages();
        let mut needed: Vec<&str> = service
            .messages
            .iter()
            .map(|m| m.name)
            .chain(service.methods.iter().flat_map(|m| [m.input, m.output]))
            .filter(|name| is_builtin(name))
            .collect();
        if service.chunked_uploads().next().is_some() {
            needed.push(FILE_CHUNK);
        }
        // protoapi's messages may use each other (`Frame` holds a `FileChunk`).
        let mut index = 0;
        while let Some(&name) = needed.get(index) {
            index += 1;
            let fields = all
                .iter()
                .filter(|m| m.name == name)
                .flat_map(|m| &m.fields);
            for field in fields {
                let used = match &field.ty {
                    FieldType::Map(_, value) => value.as_ref(),
                    ty => ty,
                };
                if let FieldType::Message(used) = used
                    && !needed.contains(used)
                {
                    needed.push(used);
                }
            }
        }

        let mut taken: Vec<String> = service
            .messages
            .iter()
            .map(|m| m.name)
            .filter(|name| !is_builtin(name))
            .chain(service.enums.iter().map(|e| e.name))
            .chain([service.name])
            .map(str::to_owned)
            .chain(service.chunked_uploads().map(|m| chunk_message(m.name)))
            .collect();
        let mut inline = Vec::new();
        for message in all.into_iter().filter(|m| needed.contains(&m.name)) {
            let short = message.name.trim_start_matches("protoapi.");
            let local = std::iter::once(short.to_owned())
                .chain(std::iter::once(format!("Protoapi{short}")))
                .chain((2..).map(|n| format!("Protoapi{short}{n}")))
                .find(|candidate| !taken.contains(candidate))
                .unwrap_or_default();
            taken.push(local.clone());
            inline.push(Inline { message, local });
        }
        Builtins::Inline(inline)
    }

    /// How a field or an rpc of the file refers to the type `name`.
    pub(super) fn reference<'a>(&'a self, name: &'a str) -> &'a str {
        match self {
            Builtins::Imported => name,
            Builtins::Inline(_) => self.declared(name),
        }
    }

    /// The name under which the file declares the message `name`: without its package.
    pub(super) fn declared<'a>(&'a self, name: &'a str) -> &'a str {
        if !is_builtin(name) {
            return name;
        }
        match self {
            Builtins::Imported => name.trim_start_matches("protoapi."),
            Builtins::Inline(inline) => inline
                .iter()
                .find(|i| i.message.name == name)
                .map_or(name, |i| i.local.as_str()),
        }
    }

    /// The messages declared in the file.
    pub(super) fn inlined(&self) -> &[Inline] {
        match self {
            Builtins::Imported => &[],
            Builtins::Inline(inline) => inline,
        }
    }

    /// The full name of a type that a file of `package` refers to as `name`, with its leading
    /// dot: `.hello.HelloRequest`, `.protoapi.File`, `.google.protobuf.Value`; an inlined
    /// builtin is in `package`.
    pub(super) fn full_name(&self, package: &str, name: &str) -> String {
        let name = self.reference(name);
        if is_builtin(name) || super::well_known::is_well_known(name) || package.is_empty() {
            format!(".{name}")
        } else {
            format!(".{package}.{name}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{FieldDescriptor, Label, MethodDescriptor};

    fn message(name: &'static str, fields: Vec<FieldDescriptor>) -> MessageDescriptor {
        MessageDescriptor {
            name,
            doc: "",
            form: false,
            fields,
        }
    }

    fn field(name: &'static str, ty: FieldType) -> FieldDescriptor {
        FieldDescriptor {
            name,
            json_name: name,
            tag: 1,
            label: Label::Singular,
            ty,
            doc: "",
            constraints: Default::default(),
            file: false,
        }
    }

    fn method(name: &'static str, input: &'static str, output: &'static str) -> MethodDescriptor {
        MethodDescriptor {
            name,
            rust_name: "m",
            doc: "",
            input,
            output,
            client_streaming: false,
            server_streaming: false,
            http: Vec::new(),
            websocket: None,
            websocket_shape: None,
            status: 200,
            download: false,
            upload: false,
            form: None,
            response_body: None,
        }
    }

    fn service(
        messages: Vec<MessageDescriptor>,
        methods: Vec<MethodDescriptor>,
    ) -> ServiceDescriptor {
        ServiceDescriptor {
            package: "files",
            name: "Files",
            doc: "",
            grpc: true,
            http: true,
            socket: None,
            envelope: false,
            socketio: false,
            graphql: false,
            methods,
            messages,
            enums: Vec::new(),
        }
    }

    fn locals(builtins: &Builtins) -> Vec<(&str, &str)> {
        builtins
            .inlined()
            .iter()
            .map(|i| (i.message.name, i.local.as_str()))
            .collect()
    }

    #[test]
    fn only_the_messages_the_rpcs_reach_are_inlined() {
        let file = builtin_messages().remove(0);
        let put = message(
            "Put",
            vec![field("file", FieldType::Message("protoapi.File"))],
        );
        let builtins =
            Builtins::inline(&service(vec![put, file], vec![method("Put", "Put", "Put")]));
        assert_eq!(locals(&builtins), [("protoapi.File", "File")]);
        assert_eq!(builtins.reference("protoapi.File"), "File");
        assert_eq!(builtins.full_name("files", "protoapi.File"), ".files.File");
        assert_eq!(builtins.reference("Put"), "Put");

        let service = service(Vec::new(), vec![method("Get", "Get", "protoapi.FileChunk")]);
        assert_eq!(
            locals(&Builtins::inline(&service)),
            [("protoapi.FileChunk", "FileChunk")]
        );
    }

    #[test]
    fn a_frame_brings_the_messages_it_holds() {
        let service = service(Vec::new(), vec![method("Tap", "protoapi.Frame", "Tap")]);
        assert_eq!(
            locals(&Builtins::inline(&service)),
            [
                ("protoapi.FileChunk", "FileChunk"),
                ("protoapi.Frame", "Frame"),
                ("protoapi.Error", "Error"),
            ]
        );
    }

    #[test]
    fn a_name_the_service_has_taken_gets_the_protoapi_prefix() {
        let file = builtin_messages().remove(0);
        let put = message(
            "File",
            vec![field("file", FieldType::Message("protoapi.File"))],
        );
        let taken = message("ProtoapiFile", Vec::new());
        let builtins = Builtins::inline(&service(
            vec![put, taken, file],
            vec![method("Put", "File", "ProtoapiFile")],
        ));
        assert_eq!(locals(&builtins), [("protoapi.File", "ProtoapiFile2")]);
        assert_eq!(builtins.declared("protoapi.File"), "ProtoapiFile2");
        assert_eq!(builtins.declared("File"), "File");
    }

    #[test]
    fn imported_messages_keep_their_package() {
        let builtins = Builtins::Imported;
        assert_eq!(builtins.reference("protoapi.File"), "protoapi.File");
        assert_eq!(builtins.declared("protoapi.File"), "File");
        assert_eq!(
            builtins.full_name("hello", "protoapi.File"),
            ".protoapi.File"
        );
        assert_eq!(
            builtins.full_name("hello", "HelloRequest"),
            ".hello.HelloRequest"
        );
        assert!(!is_builtin("protoapis.File") && is_builtin("protoapi.File"));
    }
}
