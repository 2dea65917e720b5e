//! Two small fixed-size hash tables for the order stage: which strategy tags
//! open orders carry ([`TagIndex`]) and which ExecIDs were seen lately
//! ([`ExecIdSet`]). Both are open-addressing tables with linear probing,
//! sized at start-up to at most half full, with backward-shift deletion (no
//! tombstones, so probes stay short however long the engine runs).

/// `u64` keys with `u32` values (`0` marks an empty cell). Several entries
/// may share a key; an entry is removed by key and value.
#[derive(Debug)]
struct Table {
    keys: Box<[u64]>,
    values: Box<[u32]>,
    mask: usize,
    shift: u32,
}

impl Table {
    /// Room for `entries` at a load of at most one half.
    fn new(entries: usize) -> Table {
        let cells = (entries.max(4) * 2).next_power_of_two();
        Table {
            keys: vec![0; cells].into_boxed_slice(),
            values: vec![0; cells].into_boxed_slice(),
            mask: cells - 1,
            shift: 64 - cells.trailing_zeros(),
        }
    }

    /// Fibonacci hashing: the top bits of the key times 2^64/φ.
    #[inline]
    fn home(&self, key: u64) -> usize {
        (key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> self.shift) as usize
    }

    #[inline]
    fn contains(&self, key: u64) -> bool {
        let mut i = self.home(key);
        while self.values[i] != 0 {
            if self.keys[i] == key {
                return true;
            }
            i = (i + 1) & self.mask;
        }
        false
    }

    /// Inserts an entry; the caller keeps the table at most half full.
    #[inline]
    fn insert(&mut self, key: u64, value: u32) {
        debug_assert!(value != 0);
        let mut i = self.home(key);
        while self.values[i] != 0 {
            i = (i + 1) & self.mask;
        }
        self.keys[i] = key;
        self.values[i] = value;
    }

    /// Removes the entry (key, value); false when there is none.
    #[inline]
    fn remove(&mut self, key: u64, value: u32) -> bool {
        let mut i = self.home(key);
        loop {
            if self.values[i] == 0 {
                return false;
            }
            if self.keys[i] == key && self.values[i] == value {
                break;
            }
            i = (i + 1) & self.mask;
        }
        // Backward shift: pull later entries of the run into the hole when
        // their home is at or before it (cyclically), so every entry stays
        // reachable from its home without tombstones.
        let mut hole = i;
        let mut j = (i + 1) & self.mask;
        while self.values[j] != 0 {
            let home = self.home(self.keys[j]);
            if (j.wrapping_sub(home) & self.mask) >= (j.wrapping_sub(hole) & self.mask) {
                self.keys[hole] = self.keys[j];
                self.values[hole] = self.values[j];
                hole = j;
            }
            j = (j + 1) & self.mask;
        }
        self.values[hole] = 0;
        self.keys[hole] = 0;
        true
    }
}

/// The strategy tags of open orders: O(1) `contains`, sized for every slot.
#[derive(Debug)]
pub(crate) struct TagIndex {
    table: Table,
}

impl TagIndex {
    /// Room for one tag per order slot.
    pub(crate) fn new(slots: usize) -> TagIndex {
        TagIndex {
            table: Table::new(slots),
        }
    }

    /// Is some open order carrying `tag`?
    #[inline]
    pub(crate) fn contains(&self, tag: u64) -> bool {
        self.table.contains(tag)
    }

    /// The order in `slot` carries `tag`.
    #[inline]
    pub(crate) fn insert(&mut self, tag: u64, slot: u32) {
        self.table.insert(tag, slot + 1);
    }

    /// The order in `slot` no longer counts.
    #[inline]
    pub(crate) fn remove(&mut self, tag: u64, slot: u32) -> bool {
        self.table.remove(tag, slot + 1)
    }
}

/// The last `capacity` ExecIDs seen, as 64-bit hashes: a ring gives the
/// order of eviction, the table O(1) membership. Two ExecIDs with one hash
/// (odds about `capacity / 2^64` per report) would make the second look
/// like a repeat; the order's CumQty accounting books any fill that skips.
#[derive(Debug)]
pub(crate) struct ExecIdSet {
    ring: Box<[u64]>,
    next: usize,
    len: usize,
    table: Table,
}

impl ExecIdSet {
    /// Remembers the last `capacity` ExecIDs (at least one).
    pub(crate) fn new(capacity: usize) -> ExecIdSet {
        let capacity = capacity.max(1);
        ExecIdSet {
            ring: vec![0; capacity].into_boxed_slice(),
            next: 0,
            len: 0,
            table: Table::new(capacity),
        }
    }

    /// The key of an ExecID (FNV-1a, 64 bits).
    #[inline]
    pub(crate) fn key(exec_id: &[u8]) -> u64 {
        let mut h: u64 = 0xcbf2_9ce4_8422_2325;
        for &b in exec_id {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h
    }

    /// Seen among the last `capacity`?
    #[inline]
    pub(crate) fn contains(&self, key: u64) -> bool {
        self.table.contains(key)
    }

    /// Remembers `key`, forgetting the oldest when full.
    #[inline]
    pub(crate) fn insert(&mut self, key: u64) {
        if self.len == self.ring.len() {
            let old = self.ring[self.next];
            self.table.remove(old, 1);
        } else {
            self.len += 1;
        }
        self.ring[self.next] = key;
        self.next = (self.next + 1) % self.ring.len();
        self.table.insert(key, 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_come_and_go_with_duplicates_and_collisions() {
        let mut t = TagIndex::new(64);
        // Keys chosen to share homes: multiples of a large power of two.
        let tags: Vec<u64> = (0..40).map(|i| i << 40).collect();
        for (slot, &tag) in tags.iter().enumerate() {
            t.insert(tag, slot as u32);
        }
        t.insert(tags[3], 99);
        for &tag in &tags {
            assert!(t.contains(tag));
        }
        assert!(t.remove(tags[3], 3));
        assert!(t.contains(tags[3]), "the other order with the tag remains");
        assert!(t.remove(tags[3], 99));
        assert!(!t.contains(tags[3]));
        assert!(!t.remove(tags[3], 99));
        for (slot, &tag) in tags.iter().enumerate() {
            if slot != 3 {
                assert!(t.contains(tag), "tag {slot} lost by a backward shift");
                assert!(t.remove(tag, slot as u32));
            }
        }
        for &tag in &tags {
            assert!(!t.contains(tag));
        }
    }

    #[test]
    fn exec_ids_are_forgotten_oldest_first() {
        let mut s = ExecIdSet::new(3);
        let k = |s: &str| ExecIdSet::key(s.as_bytes());
        for id in ["a", "b", "c"] {
            assert!(!s.contains(k(id)));
            s.insert(k(id));
        }
        assert!(s.contains(k("a")));
        s.insert(k("d"));
        assert!(!s.contains(k("a")));
        assert!(s.contains(k("b")) && s.contains(k("c")) && s.contains(k("d")));
    }

    #[test]
    fn a_long_run_keeps_membership_exact() {
        let mut s = ExecIdSet::new(100);
        for i in 0u64..10_000 {
            let key = ExecIdSet::key(&i.to_le_bytes());
            assert!(!s.contains(key), "{i}");
            s.insert(key);
            if i >= 100 {
                assert!(!s.contains(ExecIdSet::key(&(i - 100).to_le_bytes())));
            }
            assert!(s.contains(ExecIdSet::key(&(i.saturating_sub(99)).to_le_bytes())));
        }
    }
}
