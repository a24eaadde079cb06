//! The loop of one connection: it reads the client's frames, starts their calls (answering at
//! once those that can), reaps the calls' tasks, pings a silent client and closes.

use std::collections::HashMap;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::Poll;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket};
use bytes::Bytes;
use futures_util::StreamExt as _;
use http::HeaderMap;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tonic::Status;

use super::call::{Done, answer};
use super::calls::{Call, State};
use super::config::{CLOSE_WAIT, FRAMES_IN_A_ROW, INBOX};
use super::endpoint::WebSocketEndpoint;
use super::frame::{
    Answer, Id, Incoming, answer_envelope, data_message, frame_len, frame_message, parse_binary,
    parse_text,
};
use super::upload::{FailedUploads, Uploading};
use super::writer::Writer;
use crate::budget::Meter;
use crate::context::{Context, Transport};
use crate::method::{Encoding, Params, Requests};

/// One upgraded connection: its endpoint, and what every call on it shares.
pub(super) struct Connection {
    pub(super) endpoint: Arc<WebSocketEndpoint>,
    pub(super) params: Arc<Params>,
    pub(super) headers: Arc<HeaderMap>,
    pub(super) extensions: Arc<http::Extensions>,
}

/// What woke the connection's loop.
enum Event {
    /// The client's next message, or the end of its stream.
    Read(Option<Result<Message, axum::Error>>),
    /// A call's task ended.
    Finished(Result<(tokio::task::Id, Option<Id>), tokio::task::JoinError>),
    /// Time to look at the client's silence.
    Tick,
}

/// Why the reading loop stopped.
enum Stop {
    /// The client closed, went away or broke the protocol: nothing more to send.
    Gone,
    /// The server closes with this code and reason.
    Close(u16, &'static str),
    /// The server closes after a frame it could not read, with this code and reason; the
    /// WebSocket library reads no further, so the socket is drained below it.
    Refused(u16, &'static str),
}

impl Connection {
    /// Reads the client's frames and starts their calls until either side ends the
    /// connection; then stops every call and closes.
    pub(super) async fn run(self, websocket: WebSocket) {
        let _live = self.endpoint.stats.websocket();
        let config = self.endpoint.config.clone();
        let writer = Arc::new(Writer::new(websocket, config.idle_timeout));
        let mut state = State {
            calls: HashMap::new(),
            tasks: JoinSet::new(),
            permits: Arc::new(Semaphore::new(config.max_in_flight)),
            failed: FailedUploads::default(),
            writer: writer.clone(),
            unflushed: false,
        };
        let tick = config.ping_interval.min(config.idle_timeout) / 2;
        let mut ticks = tokio::time::interval(tick.max(Duration::from_millis(1)));
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_seen = Instant::now();
        let mut pinged = false;
        // The bytes of the message being handled, charged to the server's memory budget until
        // it is: from the socket on as they are read when the server's accept loop metered the
        // connection, else each message once read whole (a router served by other code).
        let meter = self.extensions.get::<Meter>().cloned();
        if let Some(meter) = &meter {
            meter.turn_on(self.endpoint.stats.memory());
        }
        let mut charge = self.endpoint.stats.memory().charge();
        // Made once, not once per frame: each one made registers with its token when polled.
        let broken = writer.broken.cancelled();
        let shutdown = self.endpoint.shutdown.cancelled();
        tokio::pin!(broken, shutdown);
        // Frames handled in a row without looking at anything else.
        let mut streak = 0;
        let stop = loop {
            // A frame the socket has at hand is handled at once: a client sending many calls
            // is read without polling the timer, the tokens and the call tasks between its
            // frames. They are looked at every few frames, and whenever no frame is at hand.
            let at_hand = if streak < FRAMES_IN_A_ROW {
                std::future::poll_fn(|cx| Poll::Ready(writer.poll_read(cx))).await
            } else {
                Poll::Pending
            };
            let event = match at_hand {
                Poll::Ready(message) => {
                    streak += 1;
                    Event::Read(message)
                }
                Poll::Pending => {
                    streak = 0;
                    // The answers written since the last wait go out together: pipelined
                    // calls are answered in one socket write rather than one each.
                    if !state.flush().await {
                        break Stop::Gone;
                    }
                    tokio::select! {
                        message = std::future::poll_fn(|cx| writer.poll_read(cx)) => Event::Read(message),
                        Some(done) = state.tasks.join_next_with_id(), if !state.tasks.is_empty() => {
                            Event::Finished(done)
                        }
                        () = &mut broken => break Stop::Gone,
                        () = &mut shutdown => break Stop::Close(1001, "server shutting down"),
                        _ = ticks.tick() => Event::Tick,
                    }
                }
            };
            match event {
                Event::Read(message) => {
                    let message = match message {
                        None => break Stop::Gone,
                        Some(Ok(message)) => message,
                        Some(Err(error)) => break read_error(error),
                    };
                    pinged = false;
                    let refused = match &message {
                        Message::Text(_) | Message::Binary(_) if meter.is_none() => {
                            charge.grow(frame_len(&message)).err()
                        }
                        _ => None,
                    };
                    if let Some(exhausted) = refused {
                        let encoding = match message {
                            Message::Binary(_) => Encoding::Proto,
                            _ => Encoding::Json,
                        };
                        let status = Status::from(exhausted);
                        if !state.send_error(encoding, None, status).await {
                            break Stop::Gone;
                        }
                        continue;
                    }
                    let (encoding, incoming) = match message {
                        Message::Text(text) => (Encoding::Json, parse_text(text.as_str())),
                        Message::Binary(bytes) => (Encoding::Proto, parse_binary(bytes)),
                        Message::Close(_) => break Stop::Gone,
                        Message::Ping(_) | Message::Pong(_) => {
                            last_seen = Instant::now();
                            continue;
                        }
                    };
                    let sent = match incoming {
                        Ok(frame) => self.handle(&mut state, frame).await,
                        // A frame that could not be read is answered without id.
                        Err(status) => state.send_error(encoding, None, status).await,
                    };
                    charge.clear();
                    if let Some(meter) = &meter {
                        meter.settle();
                    }
                    if !sent {
                        break Stop::Gone;
                    }
                    // Read once the frame is handled: waiting for a method to take a request
                    // is not the client's silence.
                    last_seen = Instant::now();
                }
                Event::Finished(done) => {
                    if !state.finished(done).await {
                        break Stop::Gone;
                    }
                }
                Event::Tick => {
                    let silent = last_seen.elapsed();
                    if silent >= config.idle_timeout {
                        break Stop::Close(1000, "idle timeout");
                    }
                    if silent >= config.ping_interval && !pinged {
                        pinged = true;
                        // A call writing now shows the client is there: no ping is needed then.
                        if let Some(mut turn) = writer.try_turn()
                            && !turn.send_flushed(Message::Ping(Bytes::new())).await
                        {
                            break Stop::Gone;
                        }
                    }
                }
            }
        };
        // What the client sends from now on is read only to be dropped.
        let close = match stop {
            Stop::Gone => None,
            Stop::Close(code, reason) => Some((code, reason)),
            Stop::Refused(code, reason) => Some((code, reason)),
        };
        if let Some(meter) = &meter {
            match stop {
                Stop::Refused(..) => meter.drain(),
                _ => meter.turn_off(),
            }
        }
        // Every call stops with the connection: their tasks are aborted, which drops the
        // methods' futures and streams.
        state.tasks.abort_all();
        drop(state);
        // The aborted calls give up the turn as their tasks are dropped.
        if let Some(mut turn) = writer.turn().await {
            if let Some((code, reason)) = close {
                let frame = CloseFrame {
                    code,
                    reason: reason.into(),
                };
                if turn.send_flushed(Message::Close(Some(frame))).await {
                    // Frames the client sent before it saw ours are read and dropped until its
                    // own close frame: a socket closed with them unread is reset, and the reset
                    // may destroy the close frame on its way.
                    let drain = async {
                        while let Some(Ok(message)) =
                            std::future::poll_fn(|cx| writer.poll_read(cx)).await
                        {
                            if let Message::Close(_) = message {
                                break;
                            }
                        }
                    };
                    let _ = tokio::time::timeout(CLOSE_WAIT, drain).await;
                }
            }
            let _ = turn.close().await;
        }
    }

    /// Handles one frame; false when the connection is gone.
    async fn handle(&self, state: &mut State, mut frame: Incoming) -> bool {
        let key = frame.id.clone();
        // A call that sent its last frame is over, even if its task has not been reaped yet.
        let over: Vec<Option<Id>> = state
            .calls
            .iter()
            .filter(|(_, call)| call.finished.load(Ordering::Acquire))
            .map(|(key, _)| key.clone())
            .collect();
        for key in over {
            state.forget(&key);
        }
        if let Some(call) = state.calls.get_mut(&key) {
            if frame.encoding != call.encoding
                || frame.method.as_deref().is_some_and(|m| m != call.method)
            {
                let status = in_progress(key.as_ref());
                return state.send_error(frame.encoding, key.as_ref(), status).await;
            }
            if frame.file.is_some() || call.upload.as_ref().is_some_and(|u| !u.ended()) {
                return self.upload_frame(state, frame).await;
            }
            match &call.input {
                Some(input) => {
                    if let Some(payload) = &frame.message
                        && payload.len() > call.limit
                    {
                        // The request is lost, so the call fails.
                        let status = too_large(call.limit);
                        call.abort.abort();
                        state.calls.remove(&key);
                        return state.send_error(frame.encoding, key.as_ref(), status).await;
                    }
                    if let Some(payload) = frame.message {
                        // The method may have stopped reading: then the message is dropped.
                        let _ = input.send(payload).await;
                    }
                    if frame.end
                        && let Some(call) = state.calls.get_mut(&key)
                    {
                        call.input = None;
                    }
                    return true;
                }
                None if frame.end && frame.message.is_none() => {
                    // `end` on a call whose requests are all sent cancels it.
                    let encoding = call.encoding;
                    call.abort.abort();
                    state.calls.remove(&key);
                    return state
                        .send_error(
                            encoding,
                            key.as_ref(),
                            Status::cancelled("canceled by the client"),
                        )
                        .await;
                }
                None => {
                    let status = in_progress(key.as_ref());
                    return state.send_error(frame.encoding, key.as_ref(), status).await;
                }
            }
        }

        if state.failed.drops(&frame) {
            return true;
        }
        let method = match self.endpoint.find(frame.method.as_deref()) {
            Ok(method) => method,
            Err(status) => {
                if frame.end && frame.message.is_none() && frame.file.is_none() {
                    // A late cancel of a call that already ended.
                    return true;
                }
                if frame.file.is_some() && !frame.end {
                    state.remember_failed(key.clone());
                }
                return state.send_error(frame.encoding, key.as_ref(), status).await;
            }
        };
        if frame.end && frame.message.is_none() && frame.file.is_none() && !method.client_streaming
        {
            // A late cancel of a call that already ended.
            return true;
        }
        let limit = self.endpoint.limit(method);
        if let Some(payload) = &frame.message
            && payload.len() > limit
        {
            let status = too_large(limit);
            return state.send_error(frame.encoding, key.as_ref(), status).await;
        }
        // A call that answers at once takes no permit: only the connection's loop takes them,
        // so one that is free now is still free once the method has been polled.
        // Waiting for a permit is safe while every call in progress is unary: each ends without
        // another frame. A stream might need frames the wait would hold back, or never end.
        let permit = match state.permits.available_permits() {
            1.. => None,
            0 if state.calls.values().any(|call| call.streaming) => {
                let status = Status::resource_exhausted(format!(
                    "too many calls in progress on this connection (at most {})",
                    self.endpoint.config.max_in_flight
                ));
                return state.send_error(frame.encoding, key.as_ref(), status).await;
            }
            0 => match state.permits.clone().acquire_owned().await {
                Ok(permit) => Some(permit),
                Err(_) => return false,
            },
        };
        let mut upload = None;
        if let Some(first) = frame.file.take() {
            let started = Uploading::start(
                method,
                self.endpoint.upload_limit(method),
                first,
                frame.end,
                self.endpoint.spool_threshold(),
                self.endpoint.upload_dir.clone(),
                self.endpoint.stats.memory().clone(),
            );
            match started {
                Ok(started) => upload = Some(started),
                Err(status) => {
                    // The pieces the client sends after the first are dropped.
                    if !frame.end {
                        state.remember_failed(key.clone());
                    }
                    return state.send_error(frame.encoding, key.as_ref(), status).await;
                }
            }
        }
        let (uploading, upload) = upload.unzip();
        let (input, rest) = if method.client_streaming {
            let (sender, receiver) = mpsc::channel(INBOX);
            ((!frame.end).then_some(sender), Some(receiver))
        } else {
            (None, None)
        };
        let requests = Requests {
            encoding: frame.encoding,
            envelope: (frame.encoding == Encoding::Json).then(|| answer_envelope(key.as_ref())),
            first: frame.message,
            rest,
            upload,
        };
        let ctx = Context::shared(
            Transport::WebSocket,
            self.headers.clone(),
            self.extensions.clone(),
        );
        let live = self.endpoint.stats.websocket_call();
        let mut answers = (method.run)(ctx, self.params.clone(), requests);
        if !method.client_streaming && !method.server_streaming && uploading.is_none() {
            // Most unary methods answer at once: then the answer goes out from here, without
            // a task of its own. One that has to wait goes on in its task below.
            let polled = std::future::poll_fn(|cx| {
                Poll::Ready(std::panic::catch_unwind(AssertUnwindSafe(|| {
                    answers.poll_next_unpin(cx)
                })))
            })
            .await;
            let answer = match polled {
                Ok(Poll::Pending) => None,
                Ok(Poll::Ready(Some(Ok(payload)))) => {
                    let message = data_message(key.as_ref(), payload);
                    drop((permit, live));
                    return state.send(message).await;
                }
                Ok(Poll::Ready(Some(Err(status)))) => {
                    tracing::debug!(code = ?status.code(), message = status.message(), "websocket call failed");
                    Some(Answer::Error(status))
                }
                Ok(Poll::Ready(None)) => {
                    Some(Answer::Error(Status::internal("the method gave no answer")))
                }
                Err(_) => Some(Answer::Error(crate::status::panicked(Some(method.name)))),
            };
            if let Some(answer) = answer {
                drop((permit, live));
                return state
                    .send(frame_message(frame.encoding, key.as_ref(), answer))
                    .await;
            }
        }
        let permit = match permit {
            Some(permit) => permit,
            None => match state.permits.clone().acquire_owned().await {
                Ok(permit) => permit,
                Err(_) => return false,
            },
        };
        // The call's task writes in turns: what the loop wrote alone goes out first.
        if !state.flush().await {
            return false;
        }
        let writer = state.writer.clone();
        let encoding = frame.encoding;
        let server_streaming = method.server_streaming;
        let id = key.clone();
        let finished = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let done = Done {
            permit: Some(permit),
            finished: finished.clone(),
        };
        let abort = state.tasks.spawn(async move {
            let _live = live;
            answer(
                answers,
                writer,
                encoding,
                id.as_ref(),
                server_streaming,
                done,
            )
            .await;
            id
        });
        state.calls.insert(
            key,
            Call {
                input,
                encoding,
                method: method.name,
                streaming: method.client_streaming
                    || method.server_streaming
                    || uploading.is_some(),
                upload: uploading,
                finished,
                limit,
                task: abort.id(),
                abort,
            },
        );
        true
    }
}

impl Connection {
    /// A frame of an upload in progress, or a `file` frame of a call in progress.
    async fn upload_frame(&self, state: &mut State, frame: Incoming) -> bool {
        let key = frame.id.clone();
        let Some(call) = state.calls.get_mut(&key) else {
            return true;
        };
        let id = || {
            key.as_ref()
                .map_or_else(|| "without id".to_owned(), Id::to_string)
        };
        let status = match &mut call.upload {
            Some(upload) if !upload.ended() => {
                let piece = match (frame.message, frame.file) {
                    (Some(_), _) => Err(Status::invalid_argument(
                        "an upload carries its request's `data` in its first frame only",
                    )),
                    (None, file) => file.map(|chunk| upload.piece(chunk)).transpose(),
                };
                match piece {
                    Ok(piece) => {
                        if let Some(piece) = piece {
                            upload.send(piece).await;
                        }
                        if frame.end {
                            upload.end();
                        }
                        return true;
                    }
                    Err(status) => status,
                }
            }
            // The call goes on: only this frame is refused.
            Some(_) => {
                let status = Status::invalid_argument(format!(
                    "the upload of call {} has ended: a file piece comes before its `end`",
                    id()
                ));
                return state.send_error(frame.encoding, key.as_ref(), status).await;
            }
            None => {
                let status = Status::invalid_argument(format!(
                    "call {} sends no files: a call that sends files in pieces starts with one",
                    id()
                ));
                return state.send_error(frame.encoding, key.as_ref(), status).await;
            }
        };
        // The upload is lost, so the call fails; the pieces still on their way are dropped.
        call.abort.abort();
        state.calls.remove(&key);
        if !frame.end {
            state.remember_failed(key.clone());
        }
        state.send_error(frame.encoding, key.as_ref(), status).await
    }
}

fn in_progress(id: Option<&Id>) -> Status {
    Status::already_exists(format!(
        "call {} is in progress",
        id.map_or_else(|| "without id".to_owned(), Id::to_string)
    ))
}

fn too_large(limit: usize) -> Status {
    Status::resource_exhausted(format!(
        "the message is larger than the limit of {limit} bytes"
    ))
}

/// What a failed read means: a message over the limit is closed with 1009, anything else ends
/// the connection.
fn read_error(error: axum::Error) -> Stop {
    let inner = error.into_inner();
    match inner.downcast_ref::<tungstenite::Error>() {
        Some(tungstenite::Error::Capacity(_)) => Stop::Refused(1009, "message too big"),
        Some(tungstenite::Error::Utf8(_)) => Stop::Refused(1007, "invalid UTF-8 in a text message"),
        Some(tungstenite::Error::Protocol(_)) => Stop::Refused(1002, "protocol error"),
        Some(tungstenite::Error::Io(error)) if Meter::is_exhausted(error) => {
            Stop::Refused(1013, "the server's memory budget is exhausted")
        }
        _ => Stop::Gone,
    }
}
