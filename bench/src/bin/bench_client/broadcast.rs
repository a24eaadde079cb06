//! `sio-broadcast`: how many broadcast events per second a Socket.IO server delivers to many
//! sockets.
//!
//! The client connects `--conns` sockets to the default namespace, then the first of them emits
//! `shout` (`{"seq": n, "text": "shout"}`) with an ack, and the server sends every socket,
//! the shouter too, the event `note` with the same message. At most `--window` shouts are out
//! at once: shout `n` is sent once shout `n - window` has reached every socket, so that no
//! socket's buffer on the server (128 packets by default) overflows and nothing is dropped.
//! Every socket must hear every shout once, as exactly `42["note",{"seq":n,"text":"shout"}]`
//! (the shouts out at once may reach the sockets in any order: the server runs their calls
//! concurrently), and every ack must be `43n[{"data":{}}]`; anything else, or 5 s without a
//! shout reaching every socket, fails the run. The figure is the notes heard, over the time from the first
//! shout until the last one has reached every socket.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt as _, TryStreamExt as _};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

use super::{Error, Options, WebSocket, next_text, sio_ack, sio_connect};

/// How long a shout may take to reach every socket before the run fails.
const STALL: Duration = Duration::from_secs(5);

/// Sockets connecting at once while the client sets up.
const CONNECTING: usize = 32;

/// What the sockets heard, shared by their loops (all on the client's one thread).
struct Tally {
    sockets: u32,
    window: u32,
    /// How many sockets heard each shout still out, at `seq % window`.
    heard: RefCell<Vec<u32>>,
    /// Which of those places hold a shout that has not reached every socket yet.
    busy: RefCell<Vec<bool>>,
    /// Woken when a shout has reached every socket.
    done: Notify,
    /// Notes heard, over every socket.
    notes: Cell<u64>,
    /// When a shout last reached every socket.
    last_done: Cell<Instant>,
}

impl Tally {
    /// What one socket expects: at `seq % window`, the next shout it may hear there (shout
    /// `n + window` is sent only once shout `n` reached every socket).
    fn expect(&self) -> Vec<u64> {
        let window = u64::from(self.window);
        (0..window)
            .map(|slot| if slot == 0 { window } else { slot })
            .collect()
    }

    /// Counts `text`, a frame a socket read, if it is a note that socket expects.
    fn note(&self, text: &str, expect: &mut [u64]) -> Result<(), Error> {
        let seq = parse_note(text).ok_or_else(|| format!("unexpected frame: {text}"))?;
        let at = (seq % u64::from(self.window)) as usize;
        if seq != expect[at] {
            return Err(format!(
                "a socket heard shout {seq} where it expected shout {}",
                expect[at]
            )
            .into());
        }
        expect[at] += u64::from(self.window);
        self.notes.set(self.notes.get() + 1);
        let mut heard = self.heard.borrow_mut();
        let slot = &mut heard[at];
        *slot += 1;
        if *slot == self.sockets {
            *slot = 0;
            self.busy.borrow_mut()[at] = false;
            self.done.notify_one();
            self.last_done.set(Instant::now());
        }
        Ok(())
    }

    /// Whether shout `seq` may be sent: the shout before it in its place has reached every
    /// socket. If so, the place is taken.
    fn take(&self, seq: u64) -> bool {
        let mut busy = self.busy.borrow_mut();
        let at = (seq % u64::from(self.window)) as usize;
        !std::mem::replace(&mut busy[at], true)
    }

    /// Whether every shout sent has reached every socket.
    fn all_done(&self) -> bool {
        !self.busy.borrow().contains(&true)
    }
}

/// The `seq` of a note as the servers send it: `42["note",{"seq":7,"text":"shout"}]`.
fn parse_note(text: &str) -> Option<u64> {
    let rest = text.strip_prefix(r#"42["note",{"seq":"#)?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let (seq, rest) = rest.split_at(digits);
    (rest == r#","text":"shout"}]"#)
        .then(|| seq.parse().ok())
        .flatten()
}

/// Runs the benchmark and prints `{"ops": notes, "secs":…, "per_sec":…, "errors": 0, …}`.
pub(crate) async fn broadcast(url: &str, options: &Options) -> Result<(), Error> {
    let sockets: Vec<WebSocket> =
        futures_util::stream::iter((0..options.conns).map(|_| sio_connect(url)))
            .buffer_unordered(CONNECTING)
            .try_collect()
            .await?;
    let mut sockets = sockets.into_iter();
    let shouter = sockets.next().ok_or("--conns must be at least 1")?;
    let start = Instant::now();
    let tally = Tally {
        sockets: u32::try_from(options.conns)?,
        window: options.window,
        heard: RefCell::new(vec![0; options.window as usize]),
        busy: RefCell::new(vec![false; options.window as usize]),
        done: Notify::new(),
        notes: Cell::new(0),
        last_done: Cell::new(start),
    };
    let listeners =
        futures_util::future::try_join_all(sockets.map(|socket| listen(socket, &tally)));
    let shouts = tokio::select! {
        result = listeners => {
            result?;
            return Err("the listeners stopped".into());
        }
        result = shout(shouter, &tally, start + Duration::from_secs_f64(options.secs)) => result?,
    };
    let secs = tally.last_done.get().duration_since(start).as_secs_f64();
    let notes = tally.notes.get();
    println!(
        "{}",
        serde_json::json!({
            "ops": notes, "secs": secs, "per_sec": notes as f64 / secs, "errors": 0,
            "shouts": shouts, "sockets": options.conns,
        })
    );
    Ok(())
}

/// A socket that only listens: counts its notes, answers pings; returns only on an error.
async fn listen(mut socket: WebSocket, tally: &Tally) -> Result<(), Error> {
    let mut expect = tally.expect();
    loop {
        let text = next_text(&mut socket).await?;
        if text == "2" {
            socket.send(Message::text("3")).await?;
        } else {
            tally.note(&text, &mut expect)?;
        }
    }
}

/// The socket that shouts, `window` shouts out at a time, until `end`; then waits for the
/// acks and for every shout to reach every socket. Returns how many it sent.
async fn shout(mut socket: WebSocket, tally: &Tally, end: Instant) -> Result<u64, Error> {
    let mut expect = tally.expect();
    let mut sent = 0u64;
    // The ids of the shouts not acked yet.
    let mut acks_out = Vec::new();
    let mut check = tokio::time::interval(Duration::from_secs(1));
    loop {
        let stopping = Instant::now() >= end;
        if !stopping {
            while tally.take(sent + 1) {
                sent += 1;
                let frame = format!(r#"42{sent}["shout",{{"seq":{sent},"text":"shout"}}]"#);
                socket.feed(Message::text(frame)).await?;
                acks_out.push(sent);
            }
            socket.flush().await?;
        } else if tally.all_done() && acks_out.is_empty() {
            return Ok(sent);
        }
        tokio::select! {
            frame = next_text(&mut socket) => {
                let text = frame?;
                if text == "2" {
                    socket.send(Message::text("3")).await?;
                } else if text.starts_with("43") {
                    let id = sio_ack(&text, r#"[{"data":{}}]"#)?;
                    let at = acks_out
                        .iter()
                        .position(|&n| n == id)
                        .ok_or_else(|| format!("an ack of no shout out: {text}"))?;
                    acks_out.swap_remove(at);
                } else {
                    tally.note(&text, &mut expect)?;
                }
            }
            () = tally.done.notified() => {}
            _ = check.tick() => {
                if !tally.all_done() && tally.last_done.get().elapsed() > STALL {
                    return Err(format!(
                        "no shout reached every socket for {STALL:?}: {} notes heard, {sent} shouts sent",
                        tally.notes.get()
                    )
                    .into());
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_note;

    #[test]
    fn reads_the_seq_of_a_note_and_nothing_else() {
        assert_eq!(
            parse_note(r#"42["note",{"seq":17,"text":"shout"}]"#),
            Some(17)
        );
        assert_eq!(parse_note(r#"42["note",{"seq":17,"text":"shout!"}]"#), None);
        assert_eq!(parse_note(r#"42["note",{"text":"shout"}]"#), None);
        assert_eq!(parse_note(r#"42["other",{"seq":1,"text":"shout"}]"#), None);
        assert_eq!(parse_note(r#"431[{"error":{"code":"unavailable"}}]"#), None);
    }
}
