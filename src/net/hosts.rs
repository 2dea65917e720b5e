//! Fail-over between a primary address and its backups, for an initiator.
//!
//! Owns only the choice of the next address to try; it connects nothing.

use std::net::SocketAddr;

use super::NetError;

/// The addresses an initiator may connect to, primary first. After a failed
/// attempt [`HostList::advance`] moves to the next (wrapping to the primary
/// after the last); after a successful logon [`HostList::reset`] returns to
/// the primary, so the next reconnect tries it first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostList {
    hosts: Vec<SocketAddr>,
    current: usize,
}

impl HostList {
    /// A list positioned on its first (primary) address. It must not be empty.
    pub fn new(hosts: Vec<SocketAddr>) -> Result<HostList, NetError> {
        if hosts.is_empty() {
            return Err(NetError::Config {
                key: "hosts",
                value: "[]".to_string(),
                problem: "must name at least one address",
            });
        }
        Ok(HostList { hosts, current: 0 })
    }

    /// The address to try now.
    pub fn current(&self) -> SocketAddr {
        self.hosts[self.current]
    }

    /// Moves to the next address after a failed attempt (wrapping) and
    /// returns it.
    pub fn advance(&mut self) -> SocketAddr {
        self.current = (self.current + 1) % self.hosts.len();
        self.current()
    }

    /// Back to the primary (after a successful logon).
    pub fn reset(&mut self) {
        self.current = 0;
    }

    /// Which address is current: 0 for the primary.
    pub fn position(&self) -> usize {
        self.current
    }

    /// Every address, primary first.
    pub fn hosts(&self) -> &[SocketAddr] {
        &self.hosts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    /// Failed attempts walk the list and wrap to the primary; a successful
    /// logon returns to the primary from anywhere.
    #[test]
    fn advance_wraps_and_reset_returns_to_primary() {
        let mut h = HostList::new(vec![addr(1), addr(2), addr(3)]).unwrap();
        assert_eq!(h.current(), addr(1));
        assert_eq!(h.advance(), addr(2));
        assert_eq!(h.advance(), addr(3));
        assert_eq!(h.advance(), addr(1), "wraps to the primary");
        h.advance();
        assert_eq!(h.position(), 1);
        h.reset();
        assert_eq!(h.current(), addr(1));
        assert_eq!(h.position(), 0);
    }

    /// One address: advancing stays on it.
    #[test]
    fn single_host_stays() {
        let mut h = HostList::new(vec![addr(9)]).unwrap();
        assert_eq!(h.advance(), addr(9));
        assert_eq!(h.current(), addr(9));
    }

    /// An empty list is a configuration error naming the key.
    #[test]
    fn empty_is_refused() {
        let err = HostList::new(Vec::new()).unwrap_err().to_string();
        assert!(err.contains("hosts"), "{err}");
    }
}
