//! What every example binary shares: `--addr HOST:PORT`, `--print-proto`, logging, and the
//! `listening on http://HOST:PORT` line once the port accepts connections.

use protoapi::ServerBuilder;

/// Runs an example server from its command line.
pub async fn run(server: ServerBuilder) -> Result<(), Box<dyn std::error::Error>> {
    let mut addr = String::from("127.0.0.1:8080");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--print-proto" => {
                print!("{}", server.proto_files());
                return Ok(());
            }
            "--addr" => match args.next() {
                Some(value) => addr = value,
                None => return Err("--addr needs a value: --addr HOST:PORT".into()),
            },
            "-h" | "--help" => {
                println!("usage: [--addr HOST:PORT] [--print-proto]");
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
