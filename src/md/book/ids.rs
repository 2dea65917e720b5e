//! The entry-id table of an order-by-order book: open addressing with linear
//! probing and backward-shift deletion (no tombstones), ids stored inline.
//!
//! Owns only the id → (side, price, size) mapping; the levels those entries
//! aggregate into are [`super::Book`]'s. Sized once in [`IdTable::new`]; an
//! insert past `max_entries` is refused by the caller before it reaches here.

/// The longest entry id kept (longer ones are an error, never truncated).
pub const ENTRY_ID_MAX: usize = 32;

/// One order-by-order entry.
#[derive(Debug, Clone, Copy)]
pub(super) struct Slot {
    /// Id length; 0 means the slot is empty.
    pub len: u8,
    /// 0 bid, 1 ask.
    pub side: u8,
    /// The slot the id hashes to (kept so deletion needs no rehash).
    pub home: u32,
    pub id: [u8; ENTRY_ID_MAX],
    pub price: i64,
    pub qty: i64,
}

const EMPTY: Slot = Slot {
    len: 0,
    side: 0,
    home: 0,
    id: [0; ENTRY_ID_MAX],
    price: 0,
    qty: 0,
};

#[derive(Debug)]
pub(super) struct IdTable {
    slots: Vec<Slot>,
    mask: usize,
    shift: u32,
    count: usize,
}

impl IdTable {
    /// A table for up to `max_entries` ids, at most half full.
    pub fn new(max_entries: usize) -> IdTable {
        let cap = (max_entries.saturating_mul(2)).next_power_of_two().max(2);
        IdTable {
            slots: vec![EMPTY; cap],
            mask: cap - 1,
            shift: 64 - cap.trailing_zeros(),
            count: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.count
    }

    fn home(&self, id: &[u8]) -> usize {
        // Word-at-a-time multiply-rotate mix (ids are at most 32 bytes), the
        // top bits taken as the index.
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut h: u64 = id.len() as u64;
        let mut chunks = id.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            h = (h.rotate_left(5) ^ w).wrapping_mul(K);
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            h = (h.rotate_left(5) ^ u64::from_le_bytes(buf)).wrapping_mul(K);
        }
        (h >> self.shift) as usize
    }

    /// The index of `id`'s slot.
    pub fn find(&self, id: &[u8]) -> Option<usize> {
        if self.count == 0 {
            return None;
        }
        let mut i = self.home(id);
        loop {
            let s = &self.slots[i];
            if s.len == 0 {
                return None;
            }
            if s.len as usize == id.len() && &s.id[..id.len()] == id {
                return Some(i);
            }
            i = (i + 1) & self.mask;
        }
    }

    pub fn get(&self, i: usize) -> &Slot {
        &self.slots[i]
    }

    pub fn get_mut(&mut self, i: usize) -> &mut Slot {
        &mut self.slots[i]
    }

    /// Inserts an id known to be absent, no longer than [`ENTRY_ID_MAX`],
    /// with room left (the caller checked all three).
    pub fn insert(&mut self, id: &[u8], side: u8, price: i64, qty: i64) {
        debug_assert!(id.len() <= ENTRY_ID_MAX && !id.is_empty());
        debug_assert!(self.count < self.slots.len() / 2 + 1);
        let home = self.home(id);
        let mut i = home;
        while self.slots[i].len != 0 {
            i = (i + 1) & self.mask;
        }
        let s = &mut self.slots[i];
        s.len = id.len() as u8;
        s.side = side;
        s.home = home as u32;
        s.id[..id.len()].copy_from_slice(id);
        s.price = price;
        s.qty = qty;
        self.count += 1;
    }

    /// Removes the entry in slot `i`, shifting later members of its probe
    /// run back so lookups never need tombstones.
    pub fn remove_at(&mut self, mut i: usize) {
        self.count -= 1;
        loop {
            self.slots[i].len = 0;
            let mut j = i;
            loop {
                j = (j + 1) & self.mask;
                if self.slots[j].len == 0 {
                    return;
                }
                let home = self.slots[j].home as usize;
                // Slot j may move to the hole at i unless its home lies
                // cyclically in (i, j].
                let stays = if i <= j {
                    i < home && home <= j
                } else {
                    i < home || home <= j
                };
                if !stays {
                    self.slots[i] = self.slots[j];
                    i = j;
                    break;
                }
            }
        }
    }

    /// Removes every entry for which `doomed` holds (O(capacity)).
    pub fn purge(&mut self, mut doomed: impl FnMut(&Slot) -> bool) {
        if self.count == 0 {
            return;
        }
        let mut i = 0;
        while i < self.slots.len() {
            // Re-check the same index after a removal: a later entry may
            // have shifted into it. An entry shifted past the end wraps to
            // an index already seen, which held no doomed entry.
            if self.slots[i].len != 0 && doomed(&self.slots[i]) {
                self.remove_at(i);
                if self.count == 0 {
                    return;
                }
            } else {
                i += 1;
            }
        }
    }

    pub fn clear(&mut self) {
        if self.count != 0 {
            for s in &mut self.slots {
                s.len = 0;
            }
            self.count = 0;
        }
    }
}
