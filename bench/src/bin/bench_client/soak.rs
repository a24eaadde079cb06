//! The soak: `--conns` clients, each on its own connection, call the server for `--secs`
//! seconds, every kind of call at once: unary gRPC, HTTP JSON, GET with path and query, an
//! urlencoded form, a multipart upload of 2 MiB (spooled to a temporary file) and a download,
//! the same upload in pieces over gRPC (`UploadChunks`) and over the WebSocket (binary
//! `protoapi.Frame` pieces), WebSocket round trips, and server streams over gRPC, WebSocket and
//! Server-Sent Events.
//!
//! Every answer is checked; one that is not as expected is an error (the client carries on
//! after it). Every 5 s the server's resident memory, open file descriptors and files in its
//! upload directory are read from `/proc`. The soak passes when there was no error, resident
//! memory after warm-up was flat — the mean of the last minute under load within 10 % of the
//! mean of the first minute after warm-up — and once the clients are gone the server has no
//! more file descriptors than before they came and no temporary file is left. It prints one
//! JSON line.
//!
//! Warm-up ends at the later of a tenth of the run (at least 30 s) and the first sample at which
//! the server's thread count reached its peak under load: resident memory grows with tokio's
//! blocking pool (each new thread brings a stack and, with glibc, a malloc arena), and a pool
//! that is still growing has not warmed up. A warm-up longer than half the run fails the soak.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;

use super::{EchoReply, EchoRequest, Error, Options, deadline, stream, ws_echo};

/// The kinds of call, one per client in turn.
const KINDS: [&str; 12] = [
    "grpc",
    "json",
    "path_query",
    "form",
    "upload",
    "grpc_upload",
    "ws_upload",
    "download",
    "websocket",
    "grpc_stream",
    "ws_stream",
    "sse_stream",
];

/// Messages per stream.
const TICKS: u32 = 100;

/// The file the download clients fetch (soak.sh writes it into the server's `--dir`).
const DOWNLOAD_NAME: &str = "soak.bin";
const DOWNLOAD_SIZE: usize = 1 << 20;

#[derive(Default)]
struct Tally {
    ops: [AtomicU64; KINDS.len()],
    errors: [AtomicU64; KINDS.len()],
}

/// What `/proc` tells of the server at one moment.
#[derive(Clone, Copy, Debug)]
struct Sample {
    secs: f64,
    rss_kib: u64,
    threads: u64,
    fds: usize,
    temp_files: usize,
}

fn sample(pid: u32, uploads: &Path, start: Instant) -> Result<Sample, Error> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let rss_kib = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or("no VmRSS in /proc/PID/status")?;
    let threads = status
        .lines()
        .find_map(|line| line.strip_prefix("Threads:"))
        .and_then(|rest| rest.trim().parse().ok())
        .ok_or("no Threads in /proc/PID/status")?;
    Ok(Sample {
        secs: start.elapsed().as_secs_f64(),
        rss_kib,
        threads,
        fds: std::fs::read_dir(format!("/proc/{pid}/fd"))?.count(),
        temp_files: std::fs::read_dir(uploads)?.count(),
    })
}

pub async fn soak(base: &str, options: &Options) -> Result<(), Error> {
    let pid = options
        .pid
        .ok_or("soak needs --pid (the server's process id)")?;
    let uploads = options
        .uploads
        .clone()
        .ok_or("soak needs --uploads (the server's upload directory)")?;
    let start = Instant::now();
    let before = sample(pid, &uploads, start)?;
    let tally = Arc::new(Tally::default());

    // The sampler, every 5 s until the clients are done.
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    let sampler = {
        let uploads = uploads.clone();
        tokio::spawn(async move {
            let mut samples = Vec::new();
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                tokio::select! {
                    _ = every.tick() => {}
                    _ = &mut stopped => return samples,
                }
                match sample(pid, &uploads, start) {
                    Ok(s) => samples.push(s),
                    Err(error) => {
                        eprintln!("sample: {error}");
                        return samples;
                    }
                }
            }
        })
    };

    futures_util::future::join_all((0..options.conns).map(|i| {
        let tally = tally.clone();
        async move {
            let kind = i % KINDS.len();
            // A client that fails starts over on a new connection until the time is up.
            let end = deadline(options);
            while Instant::now() < end {
                match client(kind, i, base, options, &tally).await {
                    Ok(()) => break,
                    Err(error) => {
                        let errors = tally.errors[kind].fetch_add(1, Ordering::Relaxed);
                        if errors < 5 {
                            eprintln!("{}: {error}", KINDS[kind]);
                        }
                    }
                }
            }
        }
    }))
    .await;
    let load_secs = start.elapsed().as_secs_f64();
    let _ = stop.send(());
    let samples = sampler.await?;

    // The clients' connections are closed; give the server a moment to see them go.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let after = sample(pid, &uploads, start)?;

    // Memory is judged while the load is whole, from the end of warm-up until 5 s before the
    // clients stop (they stop one by one in the last moments), by the mean of a minute's
    // samples: at any one moment it swings with the uploads in flight (each holds up to the
    // 1 MiB spool threshold in memory), so single samples would measure that, not a trend.
    let full_load = options.secs - 5.0;
    let under_load = || samples.iter().filter(|s| s.secs <= full_load);
    let threads_peak = under_load().map(|s| s.threads).max().unwrap_or(0);
    let threads_settled = under_load()
        .find(|s| s.threads == threads_peak)
        .map_or(0.0, |s| s.secs);
    let warm_up = (options.secs / 10.0).max(30.0).max(threads_settled);
    let loaded: Vec<&Sample> = samples
        .iter()
        .filter(|s| s.secs >= warm_up && s.secs <= full_load)
        .collect();
    // The mean resident memory of the loaded samples taken in `from..=to` seconds.
    let mean = |from: f64, to: f64| {
        let window: Vec<f64> = loaded
            .iter()
            .filter(|s| (from..=to).contains(&s.secs))
            .map(|s| s.rss_kib as f64)
            .collect();
        (!window.is_empty()).then(|| window.iter().sum::<f64>() / window.len() as f64)
    };
    let (Some(rss_first), Some(rss_last)) = (
        mean(warm_up, warm_up + 60.0),
        mean(full_load - 60.0, full_load),
    ) else {
        return Err("the run was too short to judge memory: give it --secs 150 or more".into());
    };
    let drift = (rss_last - rss_first) / rss_first;
    let rss_max = loaded.iter().map(|s| s.rss_kib).max().unwrap_or(0);
    let rss_min = loaded.iter().map(|s| s.rss_kib).min().unwrap_or(0);
    let ops: Vec<u64> = tally
        .ops
        .iter()
        .map(|o| o.load(Ordering::Relaxed))
        .collect();
    let errors: Vec<u64> = tally
        .errors
        .iter()
        .map(|e| e.load(Ordering::Relaxed))
        .collect();
    let total_errors: u64 = errors.iter().sum();
    let fd_peak = samples.iter().map(|s| s.fds).max().unwrap_or(0);
    let temp_peak = samples.iter().map(|s| s.temp_files).max().unwrap_or(0);

    let per_kind: serde_json::Map<String, serde_json::Value> = KINDS
        .iter()
        .enumerate()
        .map(|(k, name)| {
            (
                (*name).to_owned(),
                serde_json::json!({"ops": ops[k], "errors": errors[k]}),
            )
        })
        .collect();
    let passed = total_errors == 0
        && warm_up <= options.secs / 2.0
        && drift <= 0.10
        && after.fds <= before.fds
        && after.temp_files == 0;
    println!(
        "{}",
        serde_json::json!({
            "conns": options.conns,
            "secs": load_secs,
            "ops": ops.iter().sum::<u64>(),
            "errors": total_errors,
            "kinds": per_kind,
            "warm_up_secs": warm_up.round(),
            "threads": {"idle": before.threads, "peak": threads_peak, "after_load": after.threads},
            "rss_kib": {
                "idle": before.rss_kib,
                "mean_first_minute": rss_first.round(),
                "mean_last_minute": rss_last.round(),
                "drift": drift,
                "min_under_load": rss_min,
                "max_under_load": rss_max,
                "after_load": after.rss_kib,
            },
            "fds": {"idle": before.fds, "peak": fd_peak, "after_load": after.fds},
            "temp_files": {"peak": temp_peak, "after_load": after.temp_files},
            "samples": samples.len(),
            // Every 30 s: seconds, resident KiB, threads.
            "series": samples
                .iter()
                .step_by(6)
                .map(|s| [s.secs.round() as u64, s.rss_kib, s.threads])
                .collect::<Vec<_>>(),
            "passed": passed,
        })
    );
    if passed {
        Ok(())
    } else {
        Err("the soak failed: see the figures above".into())
    }
}

/// One client until the time is up: `Ok` when it ran to the end, the first error otherwise.
async fn client(
    kind: usize,
    i: usize,
    base: &str,
    options: &Options,
    tally: &Tally,
) -> Result<(), Error> {
    let end = deadline(options);
    let count = |n: u64| {
        tally.ops[kind].fetch_add(n, Ordering::Relaxed);
    };
    // Stream and WebSocket clients run their own loops (shared with the benchmarks) until
    // `end`; their count arrives at the end.
    let options = Options {
        conns: 1,
        secs: end.saturating_duration_since(Instant::now()).as_secs_f64(),
        count: TICKS,
        socketio: false,
        in_flight: 1,
        pid: None,
        uploads: None,
        gzip: false,
        window: 1,
        during: None,
    };
    match KINDS[kind] {
        "grpc" => grpc(base, i, end, &count).await,
        "websocket" => {
            let url = format!("{}/echo/ws", base.replacen("http", "ws", 1));
            count(ws_echo(&url, &options).await?);
            Ok(())
        }
        "grpc_upload" => grpc_upload(base, i, end, &count).await,
        "ws_upload" => ws_upload(base, i, end, &count).await,
        "grpc_stream" => count_stream("grpc", base, &options, &count).await,
        "ws_stream" => count_stream("ws", base, &options, &count).await,
        "sse_stream" => count_stream("sse", base, &options, &count).await,
        _ => http(KINDS[kind], base, i, end, &count).await,
    }
}

async fn count_stream(
    kind: &str,
    base: &str,
    options: &Options,
    count: &impl Fn(u64),
) -> Result<(), Error> {
    count(stream(kind, base, options).await? / u64::from(TICKS));
    Ok(())
}

async fn grpc(base: &str, i: usize, end: Instant, count: &impl Fn(u64)) -> Result<(), Error> {
    let channel = tonic::transport::Endpoint::from_shared(base.to_owned())?
        .connect()
        .await?;
    let mut client = tonic::client::Grpc::new(channel);
    let path = http::uri::PathAndQuery::from_static("/bench.Bench/Echo");
    let mut n = 0u64;
    while Instant::now() < end {
        n += 1;
        let request = EchoRequest {
            id: n,
            name: format!("soak{i}"),
            tags: vec!["a".into()],
            payload: vec![7; (n % 512) as usize],
        };
        client.ready().await?;
        let codec = tonic_prost::ProstCodec::<EchoRequest, EchoReply>::default();
        let reply = client
            .unary(tonic::Request::new(request.clone()), path.clone(), codec)
            .await?
            .into_inner();
        if reply.id != n
            || reply.message != format!("hello soak{i}")
            || reply.payload != request.payload
        {
            return Err(format!("unexpected echo: {reply:?}").into());
        }
        count(1);
    }
    Ok(())
}

/// The size of every upload, multipart or in pieces: past the 1 MiB spool threshold.
const UPLOAD_SIZE: usize = 2 << 20;

/// The request of `/bench.Bench/UploadChunks` without its file: the upload sends none.
#[derive(Clone, PartialEq, prost::Message)]
struct NoFields {}

/// `bench.UploadReply`.
#[derive(Clone, PartialEq, prost::Message)]
struct UploadReply {
    #[prost(string, tag = "1")]
    name: String,
    #[prost(uint64, tag = "2")]
    size: u64,
}

/// Uploads of 2 MiB over gRPC in 64 KiB pieces, one after another on one connection.
async fn grpc_upload(
    base: &str,
    i: usize,
    end: Instant,
    count: &impl Fn(u64),
) -> Result<(), Error> {
    let channel = tonic::transport::Endpoint::from_shared(base.to_owned())?
        .connect()
        .await?;
    let mut client = tonic::client::Grpc::new(channel);
    let path = http::uri::PathAndQuery::from_static("/bench.Bench/UploadChunks");
    let file = Bytes::from(vec![0x5a_u8; UPLOAD_SIZE]);
    let name = format!("g{i}.bin");
    while Instant::now() < end {
        let pieces =
            protoapi::UploadChunk::<NoFields>::file_pieces("file", &name, "", file.clone());
        client.ready().await?;
        let codec =
            tonic_prost::ProstCodec::<protoapi::UploadChunk<NoFields>, UploadReply>::default();
        let reply = client
            .client_streaming(
                tonic::Request::new(futures_util::stream::iter(pieces)),
                path.clone(),
                codec,
            )
            .await?
            .into_inner();
        if reply.name != name || reply.size != UPLOAD_SIZE as u64 {
            return Err(format!("grpc_upload: unexpected reply {reply:?}").into());
        }
        count(1);
    }
    Ok(())
}

/// Uploads of 2 MiB over the WebSocket `/upload/ws` in binary pieces of 256 KiB, one after
/// another on one socket.
async fn ws_upload(base: &str, i: usize, end: Instant, count: &impl Fn(u64)) -> Result<(), Error> {
    use futures_util::{SinkExt as _, StreamExt as _};
    use prost::Message as _;
    use tokio_tungstenite::tungstenite::Message;

    let url = format!("{}/upload/ws", base.replacen("http", "ws", 1));
    let (mut socket, _) = tokio_tungstenite::connect_async(url).await?;
    let piece = Bytes::from(vec![0x5a_u8; 256 << 10]);
    let name = format!("w{i}.bin");
    let mut n = 0u64;
    while Instant::now() < end {
        n += 1;
        let id = n.to_string();
        for k in 0..UPLOAD_SIZE / piece.len() {
            let file = protoapi::FileChunk {
                name: if k == 0 { name.clone() } else { String::new() },
                data: piece.clone(),
                ..Default::default()
            };
            let frame = protoapi::Frame {
                id: id.clone(),
                file: Some(file),
                ..Default::default()
            };
            socket.feed(Message::binary(frame.encode_to_vec())).await?;
        }
        let end_frame = protoapi::Frame {
            id: id.clone(),
            end: true,
            ..Default::default()
        };
        socket
            .send(Message::binary(end_frame.encode_to_vec()))
            .await?;
        let answer = loop {
            match socket.next().await {
                Some(Ok(Message::Binary(bytes))) => break protoapi::Frame::decode(bytes)?,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => continue,
                other => return Err(format!("ws_upload: no answer frame: {other:?}").into()),
            }
        };
        let reply = UploadReply::decode(answer.data.clone().unwrap_or_default())?;
        if answer.id != id || reply.name != name || reply.size != UPLOAD_SIZE as u64 {
            return Err(format!("ws_upload: unexpected answer {answer:?}").into());
        }
        count(1);
    }
    Ok(())
}

/// The HTTP kinds: one `reqwest` client (one connection) each.
async fn http(
    kind: &str,
    base: &str,
    i: usize,
    end: Instant,
    count: &impl Fn(u64),
) -> Result<(), Error> {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(1)
        .build()?;
    let file = vec![0x5a_u8; UPLOAD_SIZE];
    let mut n = 0u64;
    while Instant::now() < end {
        n += 1;
        let (request, want) = match kind {
            "json" => (
                client
                    .post(format!("{base}/echo"))
                    .header("content-type", "application/json")
                    .body(format!(
                        r#"{{"id":"{n}","name":"soak{i}","tags":["a","b"]}}"#
                    )),
                format!(r#"{{"id":"{n}","message":"hello soak{i}","tags":["a","b"]}}"#),
            ),
            "path_query" => (
                client.get(format!("{base}/users/{n}?verbose=true&limit=2&tag=t{i}")),
                format!(
                    r#"{{"id":"{n}","name":"user {n}","email":"user{n}@example.com","tags":["t{i}","t{i}"]}}"#
                ),
            ),
            "form" => (
                client
                    .post(format!("{base}/signup"))
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(format!("name=soak{i}&email=s%40x&age=30&subscribe=on")),
                format!(r#"{{"message":"welcome soak{i} <s@x> (subscribed)"}}"#),
            ),
            "upload" => {
                let mut body = format!(
                    "--soak\r\ncontent-disposition: form-data; name=\"file\"; filename=\"f{i}.bin\"\r\n\r\n"
                )
                .into_bytes();
                body.extend_from_slice(&file);
                body.extend_from_slice(b"\r\n--soak--\r\n");
                (
                    client
                        .post(format!("{base}/upload"))
                        .header("content-type", "multipart/form-data; boundary=soak")
                        .body(body),
                    format!(r#"{{"name":"f{i}.bin","size":"{}"}}"#, file.len()),
                )
            }
            "download" => {
                let response = client
                    .get(format!("{base}/files/{}", DOWNLOAD_NAME))
                    .send()
                    .await?;
                let status = response.status().as_u16();
                let body = response.bytes().await?;
                if status != 200 || body.len() != DOWNLOAD_SIZE {
                    return Err(format!("download: {status}, {} bytes", body.len()).into());
                }
                count(1);
                continue;
            }
            other => return Err(format!("unknown kind {other}").into()),
        };
        let response = request.send().await?;
        let status = response.status().as_u16();
        let body = response.text().await?;
        if status != 200 || body != want {
            return Err(format!("{kind}: {status} {body}\n  expected 200 {want}").into());
        }
        count(1);
    }
    Ok(())
}
