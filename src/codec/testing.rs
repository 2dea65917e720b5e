//! Helpers for writing FIX messages readably in tests, examples and tools.
//!
//! `|` stands for SOH. [`fix`] completes a message the way QuickFIX's
//! acceptance scripts do: it inserts BodyLength after BeginString when absent
//! and appends a CheckSum when absent; given values are kept as written, so a
//! test can send a wrong length or checksum on purpose.

use super::frame::{checksum, find_checksum_field};
use super::SOH;

/// `text` with `|` as SOH, completed with `9=` and `10=` where they are absent.
pub fn fix(text: &str) -> Vec<u8> {
    complete(&text.replace('|', "\u{1}").into_bytes())
}

/// Completes raw bytes (SOH already in place) as [`fix`] does.
pub fn complete(raw: &[u8]) -> Vec<u8> {
    let mut msg = raw.to_vec();
    if !msg.starts_with(b"8=") {
        return msg;
    }
    let has_body_length = msg.windows(3).any(|w| w == b"\x019=");
    if !has_body_length {
        if let Some(first_soh) = msg.iter().position(|&b| b == SOH) {
            let body_from = first_soh + 1;
            let body_to = find_checksum_field(&msg).map_or(msg.len(), |i| i + 1);
            let len = body_to - body_from;
            let field = format!("9={len}\u{1}");
            msg.splice(body_from..body_from, field.into_bytes());
        }
    }
    if find_checksum_field(&msg).is_none() {
        let sum = checksum(&msg);
        msg.extend_from_slice(format!("10={sum:03}\u{1}").as_bytes());
    }
    msg
}

/// Shows a message with `|` for SOH.
pub fn show(msg: &[u8]) -> String {
    String::from_utf8_lossy(msg).replace('\u{1}', "|")
}
