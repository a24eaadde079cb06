//! What every example binary shares: `--addr HOST:PORT`, `--memory BYTES` (the server's memory
//! budget, `Limits::memory`), `--print-proto` (the service's `.proto`, compiling alone),
//! `--proto-out DIR` (writes every `.proto` file as reflection serves them, imports included),
//! `--print-openapi` (the OpenAPI 3.1 document of the HTTP routes), `--print-asyncapi` (the
//! AsyncAPI 3.0 document of the WebSocket endpoints), `--print-graphql` (the GraphQL schema in
//! SDL), logging, and the
//! `listening on http://HOST:PORT` line once the port accepts connections.

use protoapi::ServerBuilder;

/// The value of an example's own option `--name VALUE`, if given.
#[allow(dead_code, reason = "not every example has options of its own")]
pub fn option(name: &str) -> Option<String> {
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == name {
            return args.next();
        }
    }
    None
}

/// Runs an example server from its command line; `own` lists the example's own options (each
/// taking a value), read with [`option`].
pub async fn run(
    mut server: ServerBuilder,
    own: &[&str],
) -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = String::from("127.0.0.1:8080");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if own.contains(&arg.as_str()) {
            args.next();
            continue;
        }
        match arg.as_str() {
            "--print-proto" => {
                // The service's file, compiling alone: protoapi's messages declared in it.
                for file in server.standalone_proto_files() {
                    print!("{}", file.content);
                }
                return Ok(());
            }
            "--print-graphql" => {
                match server.graphql_sdl()? {
                    Some(sdl) => print!("{sdl}"),
                    None => return Err("this example serves no GraphQL".into()),
                }
                return Ok(());
            }
            "--print-openapi" => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&server.openapi_document())?
                );
                return Ok(());
            }
            "--print-asyncapi" => {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&server.asyncapi_document())?
                );
                return Ok(());
            }
            "--proto-out" => {
                let Some(dir) = args.next() else {
                    return Err("--proto-out needs a directory: --proto-out DIR".into());
                };
                for file in server.proto_files() {
                    let path = std::path::Path::new(&dir).join(&file.name);
                    if let Some(parent) = path.parent() {
                        std::fs::create_dir_all(parent)?;
                    }
                    std::fs::write(&path, &file.content)?;
                    println!("{}", path.display());
                }
                return Ok(());
            }
            "--addr" => match args.next() {
                Some(value) => addr = value,
                None => return Err("--addr needs a value: --addr HOST:PORT".into()),
            },
            "--memory" => match args.next().and_then(|value| value.parse().ok()) {
                Some(bytes) => server = server.limits(protoapi::Limits::default().memory(bytes)),
                None => return Err("--memory needs a number of bytes: --memory BYTES".into()),
            },
            "-h" | "--help" => {
                let own: String = own.iter().map(|name| format!(" [{name} VALUE]")).collect();
                println!(
                    "usage: [--addr HOST:PORT] [--memory BYTES] [--print-proto] [--proto-out DIR] [--print-openapi] [--print-asyncapi] [--print-graphql]{own}"
                );
                return Ok(());
            }
            other => return Err(format!("unknown argument `{other}`; try --help").into()),
        }
    }

    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        // Colours for a terminal only: a log file or a test reading the log gets plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();

    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    server
        .serve_listener(listener, async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}
