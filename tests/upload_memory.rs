//! A 200 MiB multipart upload does not grow the server's memory by its size, and leaves no
//! temporary file behind, also when the client goes away halfway. Its own test binary, so that
//! the process's resident memory is this test's alone.

mod support;

use std::time::Duration;

use bytes::Bytes;

use support::TestServer;
use support::uploads::{LargeUploadsImpl, LargeUploadsServer};

const BOUNDARY: &str = "protoapi-test-boundary";
const CHUNK: usize = 64 << 10;

/// A multipart body of one file part of `size` bytes, made chunk by chunk as it is sent; it
/// fails after `fail_after` bytes of the file when that is given.
fn streamed_body(size: usize, fail_after: Option<usize>) -> reqwest::Body {
    let head = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"test_file\"; filename=\"big.bin\"\r\nContent-Type: application/octet-stream\r\n\r\n"
    );
    let tail = format!("\r\n--{BOUNDARY}--\r\n");
    let chunk = Bytes::from(vec![0x5a; CHUNK]);
    let chunks = size / CHUNK;
    let parts = std::iter::once(Ok(Bytes::from(head)))
        .chain((0..chunks).map(move |i| {
            if fail_after.is_some_and(|n| i * CHUNK >= n) {
                Err(std::io::Error::other("the client gives up"))
            } else {
                Ok(chunk.clone())
            }
        }))
        .chain(std::iter::once(Ok(Bytes::from(tail))));
    reqwest::Body::wrap_stream(futures_util::stream::iter(parts))
}

fn resident_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .expect("VmRSS");
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .expect("number");
    kib * 1024
}

fn leftovers(dir: &std::path::Path) -> usize {
    std::fs::read_dir(dir).expect("read dir").count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_200_mib_upload_streams_to_disk_and_leaves_nothing_behind() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = TestServer::start(
        protoapi::Server::builder()
            .upload_dir(dir.path())
            .add(LargeUploadsServer::new(LargeUploadsImpl)),
    )
    .await;
    let url = server.url("/upload");
    let client = reqwest::Client::new();
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");

    // Warm up, then sample the resident memory while the big upload runs.
    let warm = client
        .post(&url)
        .header("content-type", &content_type)
        .body(streamed_body(4 << 20, None));
    assert_eq!(warm.send().await.expect("warm-up").status().as_u16(), 200);
    let idle = resident_bytes();
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let sampling = sampling.clone();
        tokio::spawn(async move {
            let mut peak = 0;
            let mut samples = 0u32;
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                peak = peak.max(resident_bytes());
                samples += 1;
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            (peak, samples)
        })
    };

    let size = 200 << 20;
    let response = client
        .post(&url)
        .header("content-type", &content_type)
        .body(streamed_body(size, None))
        .send()
        .await
        .expect("upload");
    assert_eq!(response.status().as_u16(), 200);
    let body = response.text().await.expect("body");
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    let (peak, samples) = sampler.await.expect("sampler");
    assert_eq!(body, format!(r#"{{"size":"{size}","spooled":true}}"#));
    // A sampler that took no sample would see no growth: it must have watched the upload.
    assert!(
        samples >= 10 && peak >= idle / 2,
        "the sampler took {samples} samples, peak {peak} bytes (idle {idle})"
    );
    let growth = peak.saturating_sub(idle);
    println!(
        "idle {} MiB, peak {} MiB, growth {} MiB",
        idle >> 20,
        peak >> 20,
        growth >> 20
    );
    assert!(
        growth < 64 << 20,
        "resident memory grew by {} MiB during a 200 MiB upload",
        growth >> 20
    );
    assert_eq!(leftovers(dir.path()), 0, "a temporary file remained");

    // The client goes away after 50 MiB: the half-written temporary file is removed. The file
    // must have been there while the upload ran, or its absence would prove nothing.
    let aborted = tokio::spawn(
        client
            .post(&url)
            .header("content-type", &content_type)
            .body(streamed_body(size, Some(50 << 20)))
            .send(),
    );
    let mut seen = false;
    for _ in 0..200 {
        if leftovers(dir.path()) > 0 {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(seen, "no temporary file appeared while the upload ran");
    let aborted = aborted.await.expect("the upload's task");
    assert!(aborted.is_err(), "the upload was cut short");
    let mut waited = 0;
    while leftovers(dir.path()) > 0 && waited < 100 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    assert_eq!(
        leftovers(dir.path()),
        0,
        "a temporary file remained after the client went away"
    );
}
