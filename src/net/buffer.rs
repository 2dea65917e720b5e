//! A fixed-size byte buffer with a consumed front and a filled back, used as
//! each connection's receive and transmit buffer. Allocated once; never grows.

use std::fmt;

/// Bytes `buf[start..end]` are live. `consume` advances `start` (and resets
/// both to 0 when everything is consumed, which costs nothing); new bytes go
/// after `end`. The live bytes are moved to the front only when the end of the
/// buffer is reached and there is consumed space before them.
pub(super) struct ByteBuf {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl ByteBuf {
    /// A buffer of `capacity` bytes, allocated (zeroed) now.
    pub(super) fn new(capacity: usize) -> ByteBuf {
        ByteBuf {
            buf: vec![0u8; capacity].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }

    /// The live bytes.
    pub(super) fn data(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    /// How many bytes are live.
    pub(super) fn len(&self) -> usize {
        self.end - self.start
    }

    /// True when no byte is live.
    pub(super) fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The buffer's size.
    pub(super) fn capacity(&self) -> usize {
        self.buf.len()
    }

    /// How many more bytes fit (after a compaction if need be).
    pub(super) fn free(&self) -> usize {
        self.capacity() - self.len()
    }

    /// Drops `n` live bytes from the front.
    ///
    /// # Panics
    /// If `n` is more than [`ByteBuf::len`]: the caller consumed bytes it was
    /// never given, a bug.
    pub(super) fn consume(&mut self, n: usize) {
        assert!(
            n <= self.len(),
            "consumed {n} bytes but only {} are buffered",
            self.len()
        );
        self.start += n;
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        }
    }

    /// Room to write new bytes into, moving the live bytes to the front first
    /// if the end is reached and that frees space. Empty when full.
    pub(super) fn spare_mut(&mut self) -> &mut [u8] {
        if self.end == self.capacity() && self.start > 0 {
            self.compact();
        }
        &mut self.buf[self.end..]
    }

    /// Marks `n` bytes written into [`ByteBuf::spare_mut`] as live.
    pub(super) fn commit(&mut self, n: usize) {
        debug_assert!(self.end + n <= self.capacity());
        self.end += n;
    }

    /// Appends `bytes`, compacting first if they do not fit after the end.
    /// The caller has checked `bytes.len() <= self.free()`.
    pub(super) fn extend(&mut self, bytes: &[u8]) {
        assert!(
            bytes.len() <= self.free(),
            "extend past the buffer's capacity"
        );
        if self.end + bytes.len() > self.capacity() {
            self.compact();
        }
        self.buf[self.end..self.end + bytes.len()].copy_from_slice(bytes);
        self.end += bytes.len();
    }

    /// Forgets every live byte.
    pub(super) fn clear(&mut self) {
        self.start = 0;
        self.end = 0;
    }

    fn compact(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
    }
}

impl fmt::Debug for ByteBuf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ByteBuf")
            .field("len", &self.len())
            .field("capacity", &self.capacity())
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Consuming everything resets the buffer without moving bytes; consuming
    /// part keeps the tail in place until the end is reached.
    #[test]
    fn consume_all_resets_and_partial_keeps_place() {
        let mut b = ByteBuf::new(8);
        b.extend(b"abcdef");
        b.consume(2);
        assert_eq!(b.data(), b"cdef");
        assert_eq!(
            b.spare_mut().len(),
            2,
            "no compaction while room remains at the end"
        );
        b.consume(4);
        assert!(b.is_empty());
        assert_eq!(b.spare_mut().len(), 8);
    }

    /// At the end of the buffer with consumed space before the tail, the tail
    /// moves to the front and reading can go on.
    #[test]
    fn compacts_only_when_the_end_is_reached() {
        let mut b = ByteBuf::new(8);
        let spare = b.spare_mut();
        spare.copy_from_slice(b"01234567");
        b.commit(8);
        assert!(b.spare_mut().is_empty(), "full and nothing consumed");
        b.consume(5);
        let spare = b.spare_mut();
        assert_eq!(spare.len(), 5);
        spare[..2].copy_from_slice(b"89");
        b.commit(2);
        assert_eq!(b.data(), b"56789");
        assert_eq!(b.free(), 3);
    }

    /// `extend` compacts when the bytes fit only after moving the tail.
    #[test]
    fn extend_compacts_when_needed() {
        let mut b = ByteBuf::new(6);
        b.extend(b"abcd");
        b.consume(3);
        b.extend(b"efghi");
        assert_eq!(b.data(), b"defghi");
        assert_eq!(b.free(), 0);
    }

    /// Consuming more than is buffered is a caller bug and stops loudly.
    #[test]
    #[should_panic(expected = "only 2 are buffered")]
    fn over_consume_panics() {
        let mut b = ByteBuf::new(4);
        b.extend(b"ab");
        b.consume(3);
    }
}
