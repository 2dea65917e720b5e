//! Control messages from the control thread to an agent on a hot thread.
//!
//! Owns a bounded crossbeam channel split into the two ends, with the rule
//! that makes it safe for the hot side: nobody ever blocks on it. The agent
//! polls its [`Control`] without blocking; the control thread sends with
//! [`ControlSender::try_send`] or [`ControlSender::send`] (which retries and
//! sleeps on the control thread, never registering as a blocked sender). So a
//! receive finds no waiter to wake, and costs the hot side an atomic or two
//! and no lock, system call or allocation (the ring is allocated when the
//! channel is made). Answers go back the same way, on a second channel the
//! other way round, or as counters the control thread reads.
//!
//! The message type is the caller's: small `Copy` commands are best (the
//! message is moved through the ring; a `Box` or `String` inside would be an
//! allocation on the control side and a free on the hot side).

use crossbeam_channel::{Receiver, Sender, TryRecvError, TrySendError};
use std::time::Duration;

/// A control channel holding up to `capacity` messages (at least 1):
/// the sending end for the control thread, the polling end for an agent.
pub fn control_channel<T>(capacity: usize) -> (ControlSender<T>, Control<T>) {
    let (tx, rx) = crossbeam_channel::bounded(capacity.max(1));
    (ControlSender { tx }, Control { rx })
}

/// The hot side of a control channel, owned by one agent and polled from
/// its duty cycle. Never blocks.
#[derive(Debug)]
pub struct Control<T> {
    rx: Receiver<T>,
}

impl<T> Control<T> {
    /// The next message, if one is waiting. `None` both when the channel is
    /// empty and when every sender is gone ([`Control::try_poll`]
    /// tells which).
    #[inline]
    pub fn poll(&self) -> Option<T> {
        self.rx.try_recv().ok()
    }

    /// Hands up to `limit` waiting messages to `f`, in order; returns how
    /// many (a duty cycle's work count). The limit keeps one duty cycle
    /// bounded however fast the control side sends.
    #[inline]
    pub fn drain(&self, limit: usize, mut f: impl FnMut(T)) -> usize {
        let mut n = 0;
        while n < limit {
            match self.rx.try_recv() {
                Ok(msg) => {
                    f(msg);
                    n += 1;
                }
                Err(_) => break,
            }
        }
        n
    }

    /// Messages waiting.
    pub fn len(&self) -> usize {
        self.rx.len()
    }

    /// No message is waiting.
    pub fn is_empty(&self) -> bool {
        self.rx.is_empty()
    }

    /// The next message if one is waiting (`Ok(None)`: none now), or
    /// [`ControlClosed`] once every sender is gone and nothing is left.
    #[inline]
    pub fn try_poll(&self) -> Result<Option<T>, ControlClosed> {
        match self.rx.try_recv() {
            Ok(msg) => Ok(Some(msg)),
            Err(TryRecvError::Empty) => Ok(None),
            Err(TryRecvError::Disconnected) => Err(ControlClosed),
        }
    }
}

/// Every [`ControlSender`] of the channel is gone and no message is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("control channel closed: every sender is gone")]
pub struct ControlClosed;

/// Why a control message was not sent; the message comes back.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ControlSendError<T> {
    /// The channel stayed full (the agent is not polling, or not fast
    /// enough): back-pressure for the control side to handle.
    #[error("control channel full")]
    Full(T),
    /// The agent's end is gone (its runtime stopped).
    #[error("control channel closed: the agent's end is gone")]
    Disconnected(T),
}

impl<T> ControlSendError<T> {
    /// The message that was not sent.
    pub fn into_inner(self) -> T {
        match self {
            ControlSendError::Full(m) | ControlSendError::Disconnected(m) => m,
        }
    }
}

/// The control side of a control channel. Cloneable: several control
/// threads may send to one agent.
#[derive(Debug)]
pub struct ControlSender<T> {
    tx: Sender<T>,
}

impl<T> Clone for ControlSender<T> {
    fn clone(&self) -> Self {
        ControlSender {
            tx: self.tx.clone(),
        }
    }
}

impl<T> ControlSender<T> {
    /// Sends `msg` if there is room now.
    pub fn try_send(&self, msg: T) -> Result<(), ControlSendError<T>> {
        self.tx.try_send(msg).map_err(|e| match e {
            TrySendError::Full(m) => ControlSendError::Full(m),
            TrySendError::Disconnected(m) => ControlSendError::Disconnected(m),
        })
    }

    /// Sends `msg`, retrying while the channel is full and sleeping between
    /// tries (10 µs, doubling up to 1 ms) for up to about `patience` of
    /// sleep in total. For the control thread only: it sleeps. It never
    /// blocks inside the channel, so the agent's polls never have a sender
    /// to wake.
    pub fn send(&self, msg: T, patience: Duration) -> Result<(), ControlSendError<T>> {
        let mut msg = msg;
        let mut slept = Duration::ZERO;
        let mut pause = Duration::from_micros(10);
        loop {
            match self.try_send(msg) {
                Err(ControlSendError::Full(m)) if slept < patience => {
                    let nap = pause.min(patience - slept);
                    std::thread::sleep(nap);
                    slept += nap;
                    pause = (pause * 2).min(Duration::from_millis(1));
                    msg = m;
                }
                other => return other,
            }
        }
    }
}
