//! Constant-time lookup tables built once at load time from the
//! dictionary's sorted tables, for the validator's per-field questions.
//!
//! Owns [`TagSet`] (is this tag in that set?) and the crate's `ValueSet`
//! (is this one of the field's enumerated values?). They answer exactly what
//! the binary searches over the sorted tables answer, without the chain of
//! dependent loads and comparisons. Building allocates; lookups never do.
//! Knows nothing of messages or validation order.

use super::EnumValue;
use crate::codec::Tag;

/// A set of tags as a bitmap, for O(1) membership tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TagSet {
    words: Box<[u64]>,
}

impl TagSet {
    /// The set of `tags` (any order, duplicates allowed).
    pub fn new(tags: &[Tag]) -> TagSet {
        let max = tags.iter().copied().max();
        let mut words = vec![0u64; max.map_or(0, |m| m as usize / 64 + 1)];
        for &t in tags {
            words[t as usize / 64] |= 1 << (t % 64);
        }
        TagSet {
            words: words.into(),
        }
    }

    /// Is `tag` in the set?
    #[inline]
    pub fn contains(&self, tag: Tag) -> bool {
        self.words
            .get(tag as usize / 64)
            .is_some_and(|w| w & (1 << (tag % 64)) != 0)
    }
}

/// The longest value packed into a `u64` key (7 bytes + the length).
const SHORT_MAX: usize = 7;

/// A field's enumerated values: one-byte values as a 256-bit set, two- to
/// seven-byte values as sorted packed integers; longer ones are left to the
/// field's own sorted table.
#[derive(Debug, Clone, Default)]
pub(crate) struct ValueSet {
    single: [u64; 4],
    short: Box<[u64]>,
}

impl ValueSet {
    pub(crate) fn new(enums: &[EnumValue]) -> ValueSet {
        let mut single = [0u64; 4];
        let mut short = Vec::new();
        for (v, _) in enums {
            match v.len() {
                1 => single[v[0] as usize / 64] |= 1 << (v[0] % 64),
                2..=SHORT_MAX => short.push(pack(v)),
                _ => {}
            }
        }
        short.sort_unstable();
        short.dedup();
        ValueSet {
            single,
            short: short.into(),
        }
    }

    /// Is `v` one of the values? `None` when `v` is longer than the packed
    /// form (or empty): the caller asks the sorted table.
    #[inline]
    pub(crate) fn contains(&self, v: &[u8]) -> Option<bool> {
        match v.len() {
            1 => Some(self.single[v[0] as usize / 64] & (1 << (v[0] % 64)) != 0),
            2..=SHORT_MAX => Some(self.short.binary_search(&pack(v)).is_ok()),
            _ => None,
        }
    }
}

/// Up to seven bytes, big-endian, above the length byte: distinct values
/// give distinct keys.
#[inline]
fn pack(v: &[u8]) -> u64 {
    let mut key = 0u64;
    for &b in v {
        key = key << 8 | b as u64;
    }
    key << (8 * (SHORT_MAX - v.len()) + 8) | v.len() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tag_sets_answer_as_the_sorted_table() {
        let tags = [8, 35, 63, 64, 127, 128, 5000];
        let set = TagSet::new(&tags);
        for t in 0..6000 {
            assert_eq!(set.contains(t), tags.contains(&t), "tag {t}");
        }
        assert!(!TagSet::new(&[]).contains(0));
        assert!(!TagSet::default().contains(1));
    }

    #[test]
    fn value_sets_answer_as_the_sorted_table() {
        let values: Vec<&[u8]> = vec![
            b"0",
            b"A",
            b"\xff",
            b"AB",
            b"ABCDEFG",
            b"A\0",
            b"ABCDEFGH",
            b"ZZ",
        ];
        let enums: Vec<EnumValue> = values.iter().map(|v| ((*v).into(), "".into())).collect();
        let set = ValueSet::new(&enums);
        let probes: Vec<&[u8]> = vec![
            b"0", b"1", b"A", b"\xff", b"\0", b"AB", b"A\0", b"A\0\0", b"ABCDEFG", b"ABCDEF",
            b"ABCDEFF", b"Z", b"ZZ", b"ZZ\0", b"\0ZZ",
        ];
        for p in probes {
            assert_eq!(set.contains(p), Some(values.contains(&p)), "{p:?}");
        }
        assert_eq!(set.contains(b"ABCDEFGH"), None);
        assert_eq!(set.contains(b""), None);
    }
}
