//! The quote desk's counters: a fixed table indexed by [`QuoteCounter`],
//! written by the engine thread that owns the desk and read by the control
//! plane from any thread (share the `Arc` from
//! [`super::QuoteDesk::counters`] at start-up).
//!
//! One writer only, so a bump is a relaxed load and store, not a locked
//! read-modify-write (as `crate::risk::RiskCounters`).

use std::sync::atomic::{AtomicU64, Ordering};

macro_rules! quote_counters {
    ($($(#[$m:meta])* $name:ident = $label:literal,)*) => {
        /// What the quote desk counts.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum QuoteCounter {
            $($(#[$m])* $name,)*
        }

        impl QuoteCounter {
            /// Every counter, in index order.
            pub const ALL: &'static [QuoteCounter] = &[$(QuoteCounter::$name),*];

            /// A short stable name (metrics labels).
            pub const fn name(self) -> &'static str {
                match self {
                    $(QuoteCounter::$name => $label,)*
                }
            }
        }
    };
}

quote_counters! {
    /// QuoteRequests (R) sent.
    RequestsSent = "requests_sent",
    /// QuoteRequests refused locally (session down, unknown instrument,
    /// bad quantity, table full, send failure).
    RequestsRefused = "requests_refused",
    /// QuoteRequestRejects (AG) that answered an outstanding request.
    RequestRejects = "request_rejects",
    /// Requests given up unanswered after `request_timeout_ms`.
    RequestsTimedOut = "requests_timed_out",
    /// Quotes (S) taken into the table.
    Quotes = "quotes",
    /// Quotes that replaced an earlier live quote of the same request.
    QuotesReplaced = "quotes_replaced",
    /// Quotes, cancels and rejects naming no request or quote the desk
    /// holds (unsolicited, or for a request already over): ignored.
    Unknown = "unknown",
    /// Quotes, cancels and rejects with a missing or undecodable field, an
    /// over-long QuoteID, or a symbol other than the request's: ignored.
    Malformed = "malformed",
    /// Quotes withdrawn by a QuoteCancel (Z).
    QuotesCanceled = "quotes_canceled",
    /// Quotes freed at their ValidUntilTime.
    QuotesExpired = "quotes_expired",
    /// Orders sent on a quote (NewOrderSingle with QuoteID).
    OrdersOnQuotes = "orders_on_quotes",
    /// Orders on quotes refused by the desk itself (unknown, expired, not
    /// firm, side, size); risk and order-stage refusals are counted there.
    OrdersRefused = "orders_refused",
    /// Requests and quotes dropped at a disconnect.
    DroppedAtDisconnect = "dropped_at_disconnect",
    /// Events lost because the desk's pending queue was full too.
    EventsDropped = "events_dropped",
}

/// How many counters there are.
pub const QUOTE_COUNTER_KINDS: usize = QuoteCounter::ALL.len();

/// The desk's published counters (relaxed; each value on its own, not a
/// consistent snapshot of all of them).
#[derive(Debug, Default)]
#[repr(align(64))]
pub struct QuoteCounters {
    values: [AtomicU64; QUOTE_COUNTER_KINDS],
}

impl QuoteCounters {
    /// One counter's value.
    pub fn get(&self, c: QuoteCounter) -> u64 {
        self.values[c as usize].load(Ordering::Relaxed)
    }

    /// Every counter with its name, in [`QuoteCounter::ALL`] order.
    pub fn named(&self) -> [(&'static str, u64); QUOTE_COUNTER_KINDS] {
        std::array::from_fn(|i| {
            (
                QuoteCounter::ALL[i].name(),
                self.values[i].load(Ordering::Relaxed),
            )
        })
    }

    /// Adds one. Only the owning desk writes, so load + store is exact.
    #[inline]
    pub(super) fn bump(&self, c: QuoteCounter) {
        let a = &self.values[c as usize];
        a.store(a.load(Ordering::Relaxed).wrapping_add(1), Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_index_is_the_declaration_order() {
        for (i, c) in QuoteCounter::ALL.iter().enumerate() {
            assert_eq!(*c as usize, i, "{c:?}");
        }
        let k = QuoteCounters::default();
        k.bump(QuoteCounter::Quotes);
        k.bump(QuoteCounter::Quotes);
        assert_eq!(k.get(QuoteCounter::Quotes), 2);
        assert!(k.named().contains(&("quotes", 2)));
    }
}
