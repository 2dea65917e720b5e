//! Typed decoding and encoding of single FIX field values.
//!
//! Owns the FIX data formats: integers, sequence numbers, chars, booleans,
//! fixed-point prices and quantities, UTCTimestamp, UTCDateOnly, UTCTimeOnly.
//! Decoders are strict where the spec is (no `+` sign, no exponent, no blanks)
//! so that an incorrect data format is reported, never guessed. Nothing here
//! allocates; encoders write into caller-provided byte slices.

use rust_decimal::Decimal;
use std::fmt;

/// Why a value could not be decoded as the requested type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueError {
    /// The value is empty.
    Empty,
    /// The value's characters do not form the requested type.
    Format,
    /// The value is well formed but does not fit the target type.
    Overflow,
}

impl fmt::Display for ValueError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ValueError::Empty => "empty value",
            ValueError::Format => "incorrect data format",
            ValueError::Overflow => "value out of range for its type",
        })
    }
}

impl std::error::Error for ValueError {}

/// Decodes a FIX `int`: an optional `-` followed by one or more ASCII digits.
#[inline]
pub fn parse_i64(v: &[u8]) -> Result<i64, ValueError> {
    let (neg, digits) = match v.split_first() {
        None => return Err(ValueError::Empty),
        Some((b'-', rest)) => (true, rest),
        Some(_) => (false, v),
    };
    let magnitude = parse_u64(digits)?;
    if neg {
        if magnitude > i64::MAX as u64 + 1 {
            return Err(ValueError::Overflow);
        }
        Ok((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).map_err(|_| ValueError::Overflow)
    }
}

/// Decodes one or more ASCII digits as an unsigned integer.
#[inline]
pub fn parse_u64(v: &[u8]) -> Result<u64, ValueError> {
    if v.is_empty() {
        return Err(ValueError::Empty);
    }
    let mut n: u64 = 0;
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(ValueError::Format);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(d as u64))
            .ok_or(ValueError::Overflow)?;
    }
    Ok(n)
}

/// A FIX `char`: exactly one byte.
#[inline]
pub fn parse_char(v: &[u8]) -> Result<u8, ValueError> {
    match v {
        [] => Err(ValueError::Empty),
        [c] => Ok(*c),
        _ => Err(ValueError::Format),
    }
}

/// A FIX `Boolean`: `Y` or `N`.
#[inline]
pub fn parse_bool(v: &[u8]) -> Result<bool, ValueError> {
    match v {
        [] => Err(ValueError::Empty),
        b"Y" => Ok(true),
        b"N" => Ok(false),
        _ => Err(ValueError::Format),
    }
}

/// A fixed-point decimal: `mantissa * 10^-scale`.
///
/// Prices and quantities on the hot path are carried as this, never as floats.
/// `scale` is the number of digits after the decimal point as written on the
/// wire, so `"100.50"` is `{ mantissa: 10050, scale: 2 }` and encodes back to
/// the same text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Fixed {
    /// The digits, as an integer.
    pub mantissa: i64,
    /// How many of those digits are after the decimal point (0..=18).
    pub scale: u8,
}

/// The largest scale a [`Fixed`] carries.
pub const FIXED_SCALE_MAX: u8 = 18;

/// Powers of ten up to 10^18 (also used by the venue's decimal arithmetic).
pub(crate) const POW10: [i64; 19] = [
    1,
    10,
    100,
    1_000,
    10_000,
    100_000,
    1_000_000,
    10_000_000,
    100_000_000,
    1_000_000_000,
    10_000_000_000,
    100_000_000_000,
    1_000_000_000_000,
    10_000_000_000_000,
    100_000_000_000_000,
    1_000_000_000_000_000,
    10_000_000_000_000_000,
    100_000_000_000_000_000,
    1_000_000_000_000_000_000,
];

impl Fixed {
    /// A value from its parts.
    pub const fn new(mantissa: i64, scale: u8) -> Fixed {
        Fixed { mantissa, scale }
    }

    /// Decodes a FIX `float`-family value (Price, Qty, Amt, ...): an optional
    /// `-`, digits, optionally a `.` and more digits, at least one digit in all.
    /// `+`, exponents and blanks are format errors, as QuickFIX treats them.
    #[inline]
    pub fn parse(v: &[u8]) -> Result<Fixed, ValueError> {
        let (neg, body) = match v.split_first() {
            None => return Err(ValueError::Empty),
            Some((b'-', rest)) => (true, rest),
            Some(_) => (false, v),
        };
        // The magnitude is gathered unsigned, so that i64::MIN (whose
        // magnitude is one more than i64::MAX) parses like every other value.
        let limit = if neg {
            i64::MIN.unsigned_abs()
        } else {
            i64::MAX as u64
        };
        let mut magnitude: u64 = 0;
        let mut scale: u8 = 0;
        let mut digits = 0usize;
        let mut seen_point = false;
        for &b in body {
            if b == b'.' {
                if seen_point {
                    return Err(ValueError::Format);
                }
                seen_point = true;
                continue;
            }
            let d = b.wrapping_sub(b'0');
            if d > 9 {
                return Err(ValueError::Format);
            }
            digits += 1;
            if seen_point {
                if scale == FIXED_SCALE_MAX {
                    return Err(ValueError::Overflow);
                }
                scale += 1;
            }
            magnitude = magnitude
                .checked_mul(10)
                .and_then(|m| m.checked_add(d as u64))
                .filter(|&m| m <= limit)
                .ok_or(ValueError::Overflow)?;
        }
        if digits == 0 {
            return Err(ValueError::Format);
        }
        Ok(Fixed {
            // In range by `limit`; for i64::MIN the wrapping negation is exact.
            mantissa: if neg {
                (magnitude as i64).wrapping_neg()
            } else {
                magnitude as i64
            },
            scale,
        })
    }

    /// This value expressed with `scale` digits after the point, if that is
    /// exact and fits: `1.5` at scale 2 is `150`.
    pub fn mantissa_at(self, scale: u8) -> Option<i64> {
        if scale > FIXED_SCALE_MAX {
            return None;
        }
        if scale >= self.scale {
            self.mantissa
                .checked_mul(POW10[(scale - self.scale) as usize])
        } else {
            let div = POW10[(self.scale - scale) as usize];
            (self.mantissa % div == 0).then_some(self.mantissa / div)
        }
    }

    /// Converts to a `rust_decimal::Decimal` (for config, reports, and APIs at the edge).
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.mantissa, self.scale as u32)
    }

    /// Converts from a `Decimal`, if its mantissa fits an `i64` and its scale is at most 18.
    pub fn from_decimal(d: Decimal) -> Option<Fixed> {
        let scale = d.scale();
        if scale > FIXED_SCALE_MAX as u32 {
            return None;
        }
        let m = i64::try_from(d.mantissa()).ok()?;
        Some(Fixed {
            mantissa: m,
            scale: scale as u8,
        })
    }

    /// Writes the value as FIX text into `out`, returning the bytes written.
    /// `out` must hold at least [`Fixed::text_len`] bytes ([`FIXED_TEXT_MAX`]
    /// for any scale up to [`FIXED_SCALE_MAX`]).
    #[inline]
    pub fn write(self, out: &mut [u8]) -> usize {
        let n = self.text_len();
        self.write_exact(&mut out[..n]);
        n
    }

    /// The length of the text [`Fixed::write`] produces.
    #[inline]
    /// How many bytes [`Fixed::write`] writes for this value.
    pub fn text_len(self) -> usize {
        let scale = self.scale as usize;
        let sign = usize::from(self.mantissa < 0);
        // The integer part has the digits beyond `scale`, or is a lone `0`.
        let int_digits = digit_count(self.mantissa.unsigned_abs())
            .saturating_sub(scale)
            .max(1);
        let point = if scale == 0 { 0 } else { 1 + scale };
        sign + int_digits + point
    }

    /// Writes the text into `out`, which is exactly [`Fixed::text_len`] long:
    /// `[-]int[.frac]` with the fraction zero-padded to `scale` digits (so a
    /// value below one is written `0.00ddd`).
    #[inline]
    pub(crate) fn write_exact(self, out: &mut [u8]) {
        let scale = self.scale as usize;
        let mut int_part = self.mantissa.unsigned_abs();
        let mut end = out.len();
        if scale > 0 {
            // The fraction's digits; what is left is the integer part.
            int_part = write_padded(&mut out[end - scale..end], int_part);
            end -= scale + 1;
            out[end] = b'.';
        }
        let sign = usize::from(self.mantissa < 0);
        if sign == 1 {
            out[0] = b'-';
        }
        write_padded(&mut out[sign..end], int_part);
    }
}

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Sign, "0.", up to 255 fraction digits (the fields are public, so
        // any u8 scale can reach here), and 19 integer digits.
        let mut buf = [0u8; 2 + 255 + 20];
        let n = self.write(&mut buf);
        f.write_str(std::str::from_utf8(&buf[..n]).map_err(|_| fmt::Error)?)
    }
}

/// The longest text [`Fixed::write`] produces: sign, 19 digits, point, leading `0`.
pub const FIXED_TEXT_MAX: usize = 22;

/// Writes the decimal digits of `n` right-aligned at the end of `out`
/// (20 bytes), returning how many digits were written.
#[inline]
pub fn write_u64_rev(n: u64, out: &mut [u8; 20]) -> usize {
    let len = digit_count(n);
    write_padded(&mut out[20 - len..], n);
    len
}

/// `10^i` for every `i` whose power fits a `u64`.
const POW10_U64: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// The number of decimal digits of `n` (1 for 0), without dividing: the
/// bit length times log10(2) is the answer or one more than it.
#[inline]
pub(crate) fn digit_count(n: u64) -> usize {
    // `n | 1` has as many digits as `n` (a power of ten is even) and a bit length.
    let x = n | 1;
    let t = (((64 - x.leading_zeros()) * 1233) >> 12) as usize;
    t + usize::from(x >= POW10_U64[t])
}

/// `"00"` to `"99"`: two digits per division.
const DIGIT_PAIRS: [[u8; 2]; 100] = {
    let mut t = [[0u8; 2]; 100];
    let mut i = 0;
    while i < 100 {
        t[i] = [b'0' + (i / 10) as u8, b'0' + (i % 10) as u8];
        i += 1;
    }
    t
};

/// Writes the last `out.len()` decimal digits of `n` into `out`,
/// zero-padded, two digits per step; returns the digits left over
/// (`n / 10^out.len()`).
#[inline]
pub(crate) fn write_padded(out: &mut [u8], mut n: u64) -> u64 {
    let mut i = out.len();
    while i >= 2 {
        i -= 2;
        out[i..i + 2].copy_from_slice(&DIGIT_PAIRS[(n % 100) as usize]);
        n /= 100;
    }
    if i == 1 {
        out[0] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    n
}

/// Copies `src` into `dst` (the same length). Values are mostly short and
/// of varying length; covering them with two overlapping fixed-size moves
/// avoids a `memcpy` call each.
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    debug_assert_eq!(dst.len(), n);
    if n > 32 {
        dst.copy_from_slice(src);
    } else if n >= 16 {
        dst[..16].copy_from_slice(&src[..16]);
        dst[n - 16..].copy_from_slice(&src[n - 16..]);
    } else if n >= 8 {
        dst[..8].copy_from_slice(&src[..8]);
        dst[n - 8..].copy_from_slice(&src[n - 8..]);
    } else if n >= 4 {
        dst[..4].copy_from_slice(&src[..4]);
        dst[n - 4..].copy_from_slice(&src[n - 4..]);
    } else if n > 0 {
        dst[0] = src[0];
        dst[n / 2] = src[n / 2];
        dst[n - 1] = src[n - 1];
    }
}

/// Sub-second digits of a UTC timestamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum TimePrecision {
    /// `HH:MM:SS`
    Seconds,
    /// `HH:MM:SS.sss` (the FIX 4.4 default and QuickFIX's)
    #[default]
    Millis,
    /// `HH:MM:SS.ssssss`
    Micros,
    /// `HH:MM:SS.sssssssss`
    Nanos,
}

impl TimePrecision {
    /// Digits after the point.
    pub const fn digits(self) -> usize {
        match self {
            TimePrecision::Seconds => 0,
            TimePrecision::Millis => 3,
            TimePrecision::Micros => 6,
            TimePrecision::Nanos => 9,
        }
    }

    fn from_digits(n: usize) -> Option<TimePrecision> {
        Some(match n {
            0 => TimePrecision::Seconds,
            3 => TimePrecision::Millis,
            6 => TimePrecision::Micros,
            9 => TimePrecision::Nanos,
            _ => return None,
        })
    }
}

/// A UTC instant with nanosecond resolution, as nanoseconds since the Unix epoch.
///
/// Covers 1677-09-21 to 2262-04-11, which holds every date FIX traffic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct UtcTimestamp(i64);

const NANOS_PER_SEC: i64 = 1_000_000_000;
const SECS_PER_DAY: i64 = 86_400;

impl UtcTimestamp {
    /// From nanoseconds since 1970-01-01T00:00:00Z.
    pub const fn from_unix_nanos(n: i64) -> UtcTimestamp {
        UtcTimestamp(n)
    }

    /// Nanoseconds since 1970-01-01T00:00:00Z.
    pub const fn unix_nanos(self) -> i64 {
        self.0
    }

    /// Whole seconds since the epoch (rounded towards minus infinity).
    pub const fn unix_secs(self) -> i64 {
        self.0.div_euclid(NANOS_PER_SEC)
    }

    /// The nanoseconds within the second.
    pub const fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(NANOS_PER_SEC) as u32
    }

    /// From calendar parts; `None` if a part is out of range or the instant
    /// does not fit. `sec` may be 60 (a leap second, as FIX allows).
    pub fn from_parts(
        year: i32,
        month: u32,
        day: u32,
        hour: u32,
        min: u32,
        sec: u32,
        nanos: u32,
    ) -> Option<UtcTimestamp> {
        if !(1..=12).contains(&month)
            || day == 0
            || day > days_in_month(year, month)
            || hour > 23
            || min > 59
            || sec > 60
            || nanos >= NANOS_PER_SEC as u32
        {
            return None;
        }
        let days = days_from_civil(year, month, day);
        let secs = days * SECS_PER_DAY + (hour as i64) * 3600 + (min as i64) * 60 + sec as i64;
        secs.checked_mul(NANOS_PER_SEC)
            .and_then(|n| n.checked_add(nanos as i64))
            .map(UtcTimestamp)
    }

    /// Decodes a FIX UTCTimestamp: `YYYYMMDD-HH:MM:SS` with 0, 3, 6 or 9
    /// fractional digits.
    pub fn parse(v: &[u8]) -> Result<(UtcTimestamp, TimePrecision), ValueError> {
        if v.is_empty() {
            return Err(ValueError::Empty);
        }
        if v.len() < 17 || v[8] != b'-' {
            return Err(ValueError::Format);
        }
        let date = UtcDate::parse(&v[..8])?;
        let (h, m, s, nanos, precision) = parse_time_of_day(&v[9..])?;
        let t = UtcTimestamp::from_parts(date.year, date.month, date.day, h, m, s, nanos)
            .ok_or(ValueError::Format)?;
        Ok((t, precision))
    }

    /// The calendar date of this instant.
    pub fn date(self) -> UtcDate {
        let (year, month, day) = civil_from_days(self.unix_secs().div_euclid(SECS_PER_DAY));
        UtcDate { year, month, day }
    }

    /// Writes `YYYYMMDD-HH:MM:SS` followed by the fraction `precision` asks
    /// for; returns the bytes written (17 to 27). `out` must hold 27 bytes.
    pub fn write(self, precision: TimePrecision, out: &mut [u8]) -> usize {
        write_second_prefix(self.unix_secs(), out);
        17 + write_fraction(self.subsec_nanos(), precision, &mut out[17..])
    }
}

/// The longest text [`UtcTimestamp::write`] produces.
pub const TIMESTAMP_TEXT_MAX: usize = 27;

/// Writes `YYYYMMDD-HH:MM:SS` for the given Unix second into `out[..17]`.
pub(crate) fn write_second_prefix(unix_secs: i64, out: &mut [u8]) {
    let days = unix_secs.div_euclid(SECS_PER_DAY);
    let sod = unix_secs.rem_euclid(SECS_PER_DAY) as u32;
    let (y, mo, d) = civil_from_days(days);
    let y = y.clamp(0, 9999) as u32;
    write_digits(&mut out[0..4], y);
    write_digits(&mut out[4..6], mo);
    write_digits(&mut out[6..8], d);
    out[8] = b'-';
    write_digits(&mut out[9..11], sod / 3600);
    out[11] = b':';
    write_digits(&mut out[12..14], sod / 60 % 60);
    out[14] = b':';
    write_digits(&mut out[15..17], sod % 60);
}

/// Writes `.` plus the fraction digits `precision` asks for; returns the bytes written.
#[inline]
pub(crate) fn write_fraction(nanos: u32, precision: TimePrecision, out: &mut [u8]) -> usize {
    // Constant divisors, so no division instruction.
    let (digits, value) = match precision {
        TimePrecision::Seconds => return 0,
        TimePrecision::Millis => (3, nanos / 1_000_000),
        TimePrecision::Micros => (6, nanos / 1_000),
        TimePrecision::Nanos => (9, nanos),
    };
    out[0] = b'.';
    write_padded(&mut out[1..1 + digits], value as u64);
    1 + digits
}

/// Writes `n` as exactly `out.len()` zero-padded digits.
#[inline]
fn write_digits(out: &mut [u8], n: u32) {
    write_padded(out, n as u64);
}

/// A calendar date (UTCDateOnly, LocalMktDate).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct UtcDate {
    /// Year, e.g. 2026.
    pub year: i32,
    /// Month, 1 to 12.
    pub month: u32,
    /// Day of month, 1 to 31.
    pub day: u32,
}

impl UtcDate {
    /// Decodes `YYYYMMDD`.
    pub fn parse(v: &[u8]) -> Result<UtcDate, ValueError> {
        if v.is_empty() {
            return Err(ValueError::Empty);
        }
        if v.len() != 8 {
            return Err(ValueError::Format);
        }
        let year = digits_u32(&v[0..4])? as i32;
        let month = digits_u32(&v[4..6])?;
        let day = digits_u32(&v[6..8])?;
        if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
            return Err(ValueError::Format);
        }
        Ok(UtcDate { year, month, day })
    }
}

/// A time of day (UTCTimeOnly) with its precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct UtcTimeOnly {
    /// Nanoseconds since midnight UTC.
    pub nanos_of_day: i64,
    /// The precision it was written with.
    pub precision: TimePrecision,
}

impl UtcTimeOnly {
    /// Decodes `HH:MM:SS` with 0, 3, 6 or 9 fractional digits.
    pub fn parse(v: &[u8]) -> Result<UtcTimeOnly, ValueError> {
        if v.is_empty() {
            return Err(ValueError::Empty);
        }
        let (h, m, s, nanos, precision) = parse_time_of_day(v)?;
        Ok(UtcTimeOnly {
            nanos_of_day: ((h as i64 * 60 + m as i64) * 60 + s as i64) * NANOS_PER_SEC
                + nanos as i64,
            precision,
        })
    }
}

fn parse_time_of_day(v: &[u8]) -> Result<(u32, u32, u32, u32, TimePrecision), ValueError> {
    if v.len() < 8 || v[2] != b':' || v[5] != b':' {
        return Err(ValueError::Format);
    }
    let h = digits_u32(&v[0..2])?;
    let m = digits_u32(&v[3..5])?;
    let s = digits_u32(&v[6..8])?;
    if h > 23 || m > 59 || s > 60 {
        return Err(ValueError::Format);
    }
    let frac = &v[8..];
    let (nanos, precision) = if frac.is_empty() {
        (0, TimePrecision::Seconds)
    } else {
        if frac[0] != b'.' {
            return Err(ValueError::Format);
        }
        let digits = &frac[1..];
        if digits.is_empty() {
            // "HH:MM:SS." has a point but no fraction: not a FIX time.
            return Err(ValueError::Format);
        }
        let precision = TimePrecision::from_digits(digits.len()).ok_or(ValueError::Format)?;
        let value = digits_u32(digits)?;
        (value * 10u32.pow(9 - digits.len() as u32), precision)
    };
    Ok((h, m, s, nanos, precision))
}

/// Exactly `v.len()` (at most 9) ASCII digits.
#[inline]
fn digits_u32(v: &[u8]) -> Result<u32, ValueError> {
    let mut n = 0u32;
    for &b in v {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return Err(ValueError::Format);
        }
        n = n * 10 + d as u32;
    }
    Ok(n)
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

// Days since 1970-01-01 for a proleptic Gregorian date, and back; the
// era-based algorithms from Howard Hinnant's "chrono-compatible low-level
// date algorithms" (public domain facts, written here from the description).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y } as i64;
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + if m <= 2 { 1 } else { 0 };
    (y as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_parse_is_strict_like_the_spec() {
        assert_eq!(Fixed::parse(b"100.50"), Ok(Fixed::new(10050, 2)));
        assert_eq!(Fixed::parse(b"002000.00"), Ok(Fixed::new(200000, 2)));
        assert_eq!(Fixed::parse(b"-0.5"), Ok(Fixed::new(-5, 1)));
        assert_eq!(Fixed::parse(b".5"), Ok(Fixed::new(5, 1)));
        assert_eq!(Fixed::parse(b"7."), Ok(Fixed::new(7, 0)));
        assert_eq!(Fixed::parse(b"+200.00"), Err(ValueError::Format));
        assert_eq!(Fixed::parse(b"1e5"), Err(ValueError::Format));
        assert_eq!(Fixed::parse(b"."), Err(ValueError::Format));
        assert_eq!(Fixed::parse(b"-"), Err(ValueError::Format));
        assert_eq!(Fixed::parse(b"1.2.3"), Err(ValueError::Format));
        assert_eq!(Fixed::parse(b" 1"), Err(ValueError::Format));
        assert_eq!(Fixed::parse(b""), Err(ValueError::Empty));
        assert_eq!(
            Fixed::parse(b"99999999999999999999"),
            Err(ValueError::Overflow)
        );
    }

    #[test]
    fn fixed_writes_back_what_it_parsed() {
        for text in [
            "0",
            "1",
            "-1",
            "0.001",
            "-0.001",
            "100.50",
            "123456.789",
            "0.0",
        ] {
            let f = Fixed::parse(text.as_bytes()).unwrap();
            assert_eq!(f.to_string(), text);
        }
        assert_eq!(Fixed::new(i64::MIN, 0).to_string(), i64::MIN.to_string());
    }

    #[test]
    fn digit_helpers_agree_with_formatting() {
        let mut values: Vec<u64> = vec![0, 1, 9, 10, 99, 100, u64::MAX, u64::MAX - 1];
        for p in 0..20 {
            let t = 10u64.pow(p);
            values.extend([t - 1, t, t + 1, t.wrapping_mul(7) / 3]);
        }
        for v in values {
            let text = v.to_string();
            assert_eq!(digit_count(v), text.len(), "{v}");
            let mut out = [0u8; 20];
            let n = write_u64_rev(v, &mut out);
            assert_eq!(&out[20 - n..], text.as_bytes());
            let mut padded = [0u8; 25];
            write_padded(&mut padded, v);
            assert_eq!(String::from_utf8_lossy(&padded), format!("{v:025}"));
            for k in 0..=20 {
                let mut last = vec![0u8; k];
                let rest = write_padded(&mut last, v);
                let want = format!("{v:020}");
                assert_eq!(&last[..], &want.as_bytes()[20 - k..], "{v} in {k}");
                assert_eq!(
                    rest,
                    10u64.checked_pow(k as u32).map_or(0, |p| v / p),
                    "{v}"
                );
            }
        }
        for (m, scale, text) in [
            (0, 0, "0"),
            (0, 3, "0.000"),
            (5, 3, "0.005"),
            (-5, 3, "-0.005"),
            (108_345, 5, "1.08345"),
            (1_000_000, 0, "1000000"),
            (i64::MAX, 18, "9.223372036854775807"),
            (i64::MIN, 18, "-9.223372036854775808"),
            (i64::MIN, 0, "-9223372036854775808"),
            (-1, 18, "-0.000000000000000001"),
            (1, 20, "0.00000000000000000001"),
            (99_999_999, 7, "9.9999999"),
            (99_999_999, 8, "0.99999999"),
            (100_000_000, 7, "10.0000000"),
            (-12_345_678, 2, "-123456.78"),
        ] {
            let f = Fixed::new(m, scale);
            assert_eq!(f.text_len(), text.len(), "{text}");
            assert_eq!(f.to_string(), text);
        }
    }

    #[test]
    fn fixed_displays_any_scale_its_public_fields_allow() {
        // Regression: a scale above 20 overflowed Display's buffer.
        assert_eq!(Fixed::new(-1, 20).to_string(), "-0.00000000000000000001");
        assert_eq!(Fixed::new(5, 255).to_string().len(), 2 + 255);
    }

    #[test]
    fn fixed_rescales_only_when_exact() {
        assert_eq!(Fixed::new(15, 1).mantissa_at(3), Some(1500));
        assert_eq!(Fixed::new(1500, 3).mantissa_at(1), Some(15));
        assert_eq!(Fixed::new(1501, 3).mantissa_at(1), None);
        let d = Fixed::new(-12345, 3).to_decimal();
        assert_eq!(d.to_string(), "-12.345");
        assert_eq!(Fixed::from_decimal(d), Some(Fixed::new(-12345, 3)));
    }

    #[test]
    fn ints_reject_plus_and_blanks_and_report_overflow() {
        assert_eq!(parse_i64(b"-42"), Ok(-42));
        assert_eq!(parse_i64(b"0042"), Ok(42));
        assert_eq!(parse_i64(b"+1"), Err(ValueError::Format));
        assert_eq!(parse_i64(b"-"), Err(ValueError::Empty));
        assert_eq!(parse_i64(b"1 "), Err(ValueError::Format));
        assert_eq!(parse_i64(b"-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), Err(ValueError::Overflow));
        assert_eq!(
            parse_u64(b"18446744073709551616"),
            Err(ValueError::Overflow)
        );
        assert_eq!(parse_char(b"Y"), Ok(b'Y'));
        assert_eq!(parse_char(b"YY"), Err(ValueError::Format));
        assert_eq!(parse_bool(b"N"), Ok(false));
        assert_eq!(parse_bool(b"y"), Err(ValueError::Format));
    }

    #[test]
    fn timestamps_round_trip_at_every_precision() {
        let cases: [(&[u8], TimePrecision); 4] = [
            (b"20261122-16:14:10", TimePrecision::Seconds),
            (b"20261122-16:14:10.123", TimePrecision::Millis),
            (b"20000229-23:59:59.123456", TimePrecision::Micros),
            (b"19700101-00:00:00.000000001", TimePrecision::Nanos),
        ];
        for (text, precision) in cases {
            let (t, p) = UtcTimestamp::parse(text).unwrap();
            assert_eq!(p, precision);
            let mut out = [0u8; TIMESTAMP_TEXT_MAX];
            let n = t.write(p, &mut out);
            assert_eq!(&out[..n], text);
        }
        let (t, _) = UtcTimestamp::parse(b"19700101-00:00:01.500").unwrap();
        assert_eq!(t.unix_nanos(), 1_500_000_000);
    }

    #[test]
    fn timestamps_reject_impossible_dates_and_bad_fractions() {
        for bad in [
            &b"20260230-00:00:00"[..],
            b"20261322-00:00:00",
            b"20261122-24:00:00",
            b"20261122 16:14:10",
            b"20261122-16:14:10.12",
            b"20261122-16:14:10,123",
            b"2026112-16:14:10",
        ] {
            assert_eq!(
                UtcTimestamp::parse(bad).map(|_| ()),
                Err(ValueError::Format),
                "{bad:?}"
            );
        }
        assert!(
            UtcTimestamp::parse(b"20161231-23:59:60").is_ok(),
            "leap second"
        );
    }

    #[test]
    fn civil_day_conversion_agrees_both_ways_over_four_centuries() {
        for days in (-146_097 * 2..146_097 * 2).step_by(17) {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn dates_and_times_of_day() {
        assert_eq!(
            UtcDate::parse(b"20240229"),
            Ok(UtcDate {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        assert_eq!(UtcDate::parse(b"20230229"), Err(ValueError::Format));
        let t = UtcTimeOnly::parse(b"01:02:03.004").unwrap();
        assert_eq!(t.nanos_of_day, 3_723_004_000_000);
        assert_eq!(UtcTimeOnly::parse(b"1:02:03"), Err(ValueError::Format));
    }
}
