//! Base-36 numbers (`0-9A-Z`), the alphabet of the engine's own ids:
//! ClOrdIDs, MDReqIDs and QuoteReqIDs. Written without leading zeros (or at
//! a fixed width) into caller buffers, and parsed strictly, so every number
//! has one spelling. No allocation.

/// The digits, by value.
pub const DIGITS: &[u8; 36] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// Base-36 digits of `u64::MAX`.
pub const U64_DIGITS_MAX: usize = 13;

/// Writes `n` at `out[at..]` without leading zeros; returns the end.
/// `out` must have room (at most [`U64_DIGITS_MAX`] bytes).
#[inline]
pub fn write(out: &mut [u8], at: usize, mut n: u64) -> usize {
    let mut tmp = [0u8; U64_DIGITS_MAX];
    let mut i = U64_DIGITS_MAX;
    loop {
        i -= 1;
        tmp[i] = DIGITS[(n % 36) as usize];
        n /= 36;
        if n == 0 {
            break;
        }
    }
    let len = U64_DIGITS_MAX - i;
    out[at..at + len].copy_from_slice(&tmp[i..]);
    at + len
}

/// One digit's value.
#[inline]
pub fn digit(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'A'..=b'Z' => Some(c - b'A' + 10),
        _ => None,
    }
}

/// A canonical number: 1 to 13 digits, no leading zero, fits a `u64`.
#[inline]
pub fn parse(s: &[u8]) -> Option<u64> {
    if s.is_empty() || s.len() > U64_DIGITS_MAX || (s.len() > 1 && s[0] == b'0') {
        return None;
    }
    let mut n: u64 = 0;
    for &c in s {
        n = n.checked_mul(36)?.checked_add(u64::from(digit(c)?))?;
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_round_trip_with_one_spelling() {
        let mut b = [0u8; 16];
        for n in [
            0u64,
            1,
            35,
            36,
            1295,
            1_000_000,
            u64::from(u32::MAX),
            u64::MAX,
        ] {
            let end = write(&mut b, 2, n);
            assert_eq!(parse(&b[2..end]), Some(n));
        }
        let end = write(&mut b, 0, 36 * 36);
        assert_eq!(&b[..end], b"100");
        for bad in [&b""[..], b"01", b"a", b"1.", b"3W5E11264SGSG"] {
            assert_eq!(parse(bad), None, "{bad:?}");
        }
        assert_eq!(parse(b"3W5E11264SGSF"), Some(u64::MAX));
    }
}
