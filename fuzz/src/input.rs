//! How the wire-format targets read their input: a few leading bytes choose the request's
//! headers and how its body is cut, the rest is the body.

use std::cell::RefCell;

use bytes::Bytes;

/// The first bytes of an input, and the rest.
pub struct Input<'a> {
    /// Chooses the method, the headers and the mode of the target.
    pub mode: u8,
    /// Chooses where the body is cut into chunks ([`chunks`]).
    pub split: u8,
    pub data: &'a [u8],
}

impl<'a> Input<'a> {
    /// `None` for an input shorter than its two leading bytes.
    pub fn read(data: &'a [u8]) -> Option<Self> {
        match data {
            [mode, split, data @ ..] => Some(Input {
                mode: *mode,
                split: *split,
                data,
            }),
            _ => None,
        }
    }

    /// `count` choices from the mode's bits starting at `shift`: `mode >> shift` modulo
    /// `count`.
    pub fn pick(&self, shift: u32, count: usize) -> usize {
        usize::from(self.mode >> shift) % count
    }

    /// Whether the mode's bit `bit` is set.
    pub fn bit(&self, bit: u32) -> bool {
        self.mode >> bit & 1 == 1
    }
}

/// `data` cut as a network would deliver it ([`pieces`]), each chunk a `Bytes` of its own.
pub fn chunks(data: &[u8], split: u8) -> Vec<Bytes> {
    pieces(data, split)
        .into_iter()
        .map(Bytes::copy_from_slice)
        .collect()
}

/// `data` whole when `split` is 0, else cut into pieces of 1 to `2^(split % 10)` bytes, their
/// sizes drawn from a generator seeded by `split` (none for no data).
pub fn pieces(data: &[u8], split: u8) -> Vec<&[u8]> {
    let mut rest = data;
    sizes(data.len(), split)
        .map(|size| {
            let (piece, tail) = rest.split_at(size);
            rest = tail;
            piece
        })
        .collect()
}

/// The sizes of the pieces [`pieces`] makes of `len` bytes.
fn sizes(len: usize, split: u8) -> impl Iterator<Item = usize> {
    let most = 1usize << (split % 10);
    let mut state = u32::from(split).wrapping_mul(0x9e37_79b9) | 1;
    let mut left = len;
    std::iter::from_fn(move || {
        if left == 0 {
            return None;
        }
        let size = if split == 0 {
            left
        } else {
            // xorshift32: a fixed sequence per seed, so an input always cuts the same way.
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            (1 + state as usize % most).min(left)
        };
        left -= size;
        Some(size)
    })
}

/// A request body of `chunks`, each a frame of its own.
pub fn body(chunks: Vec<Bytes>) -> protoapi::__private::axum::body::Body {
    let frames = futures_util::stream::iter(chunks.into_iter().map(Ok::<_, std::io::Error>));
    protoapi::__private::axum::body::Body::from_stream(frames)
}

/// `message` in a 5-byte envelope (gRPC's and Connect's framing): `flags`, then the length as
/// a big-endian `u32`.
pub fn envelope(flags: u8, message: &[u8]) -> Vec<u8> {
    let length = u32::try_from(message.len()).expect("a fuzz input is under 4 GiB");
    let mut out = Vec::with_capacity(message.len() + 5);
    out.push(flags);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(message);
    out
}

/// The messages of an enveloped body, with their flags; `Err` with what is wrong when the body
/// is not whole envelopes.
pub fn unenvelope(mut body: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let mut messages = Vec::new();
    while !body.is_empty() {
        let Some((header, rest)) = body.split_first_chunk::<5>() else {
            return Err(format!("{} bytes after the last envelope", body.len()));
        };
        let [flags, length @ ..] = *header;
        let length = u32::from_be_bytes(length) as usize;
        if rest.len() < length {
            return Err(format!(
                "an envelope declares {length} bytes and {} follow",
                rest.len()
            ));
        }
        let (message, rest) = rest.split_at(length);
        messages.push((flags, message));
        body = rest;
    }
    Ok(messages)
}

/// Compresses `data` whole with `coding` (`gzip` or `zstd`). One compressor of each kind
/// serves the whole run: making one per input (a deflater's tables are a few hundred KiB) would
/// cost more than the request.
pub fn compress(coding: &str, data: &[u8]) -> Vec<u8> {
    thread_local! {
        static DEFLATE: RefCell<flate2::Compress> =
            RefCell::new(flate2::Compress::new(flate2::Compression::fast(), false));
        static ZSTD: RefCell<zstd::bulk::Compressor<'static>> =
            RefCell::new(zstd::bulk::Compressor::new(1).expect("a zstd compressor"));
    }
    match coding {
        "gzip" => DEFLATE.with_borrow_mut(|deflate| gzip(deflate, data)),
        "zstd" => ZSTD.with_borrow_mut(|zstd| zstd.compress(data).expect("zstd into memory")),
        other => panic!("no compressor for {other}"),
    }
}

/// A gzip member (RFC 1952) of `data`: a header without a name or time, the deflated data,
/// its CRC-32 and its length.
fn gzip(deflate: &mut flate2::Compress, data: &[u8]) -> Vec<u8> {
    deflate.reset();
    let mut out = Vec::with_capacity(data.len() + 64);
    out.extend_from_slice(&[0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    let start = deflate.total_in();
    loop {
        let read = (deflate.total_in() - start) as usize;
        let status = deflate
            .compress_vec(&data[read..], &mut out, flate2::FlushCompress::Finish)
            .expect("deflate into memory");
        if status == flate2::Status::StreamEnd {
            break;
        }
        out.reserve(out.capacity().max(64));
    }
    let mut crc = flate2::Crc::new();
    crc.update(data);
    out.extend_from_slice(&crc.sum().to_le_bytes());
    out.extend_from_slice(&crc.amount().to_le_bytes());
    out
}

/// Inflates `data` in `coding` (`gzip` or `zstd`), reading at most `most` bytes; `None` when it
/// does not inflate.
pub fn decompress(coding: &str, data: &[u8], most: usize) -> Option<Vec<u8>> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let read = match coding {
        "gzip" => flate2::read::GzDecoder::new(data)
            .take(most as u64)
            .read_to_end(&mut out),
        "zstd" => zstd::stream::read::Decoder::new(data)
            .and_then(|decoder| decoder.take(most as u64).read_to_end(&mut out)),
        _ => return None,
    };
    read.ok().map(|_| out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cover_the_data_in_order() {
        let data: Vec<u8> = (0..=255).cycle().take(3000).collect();
        for split in 0..=255 {
            let pieces = chunks(&data, split);
            assert_eq!(pieces.concat(), data, "{split}");
            let most = 1 << (split % 10);
            if split == 0 {
                assert_eq!(pieces.len(), 1);
            } else {
                assert!(
                    pieces.iter().all(|p| (1..=most).contains(&p.len())),
                    "{split}"
                );
            }
        }
        assert!(chunks(&[], 7).is_empty());
    }

    #[test]
    fn compressed_data_inflates_back() {
        let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
        for coding in ["gzip", "zstd"] {
            for piece in [&data[..0], &data[..3], &data[..]] {
                let compressed = compress(coding, piece);
                assert_eq!(
                    decompress(coding, &compressed, usize::MAX).as_deref(),
                    Some(piece),
                    "{coding}"
                );
            }
        }
    }

    #[test]
    fn envelopes_read_back() {
        let body = [envelope(0, b"ab"), envelope(2, b"")].concat();
        assert_eq!(unenvelope(&body), Ok(vec![(0, &b"ab"[..]), (2, &b""[..])]));
        assert!(unenvelope(&body[..body.len() - 1]).is_err());
        assert!(unenvelope(&envelope(0, b"abc")[..6]).is_err());
    }
}
