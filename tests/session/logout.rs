//! Logout in both directions, its timeout, resets on logout and disconnect.

use super::*;

/// The counterparty's Logout is answered with ours and the connection
/// closes (13b_UnsolicitedLogoutMessage), in both roles.
#[test]
fn counterparty_logout_is_answered() {
    both_roles(|mut h| {
        h.establish(30);
        h.send("5", "58=bye|");
        let logout = h.expect("35=5|34=2|");
        assert_eq!(logout.get(58), None);
        h.expect_none();
        h.expect_disconnect(DisconnectReason::PeerLogout(Text::new(b"bye")));
    });
}

/// Our Logout waits for the counterparty's; its answer closes the
/// connection; nothing can be sent meanwhile, in both roles.
#[test]
fn our_logout_completes_when_answered() {
    both_roles(|mut h| {
        h.establish(30);
        h.logout(Some("end of day"));
        h.expect("35=5|34=2|58=end of day|");
        assert_eq!(h.session.state(), State::LogoutSent);
        let r = h.session.send(
            h.now,
            &mut h.store,
            &mut fixrail::session::Outbox::default(),
            b"D",
            &[],
            &mut |_: &mut fixrail::codec::MessageWriter<'_>| {},
        );
        assert!(matches!(r, Err(SendError::NotLoggedOn)));
        h.send("5", "");
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LocalLogout);
    });
}

/// Without an answer to our Logout, the connection closes after
/// `logout_timeout_secs`, in both roles.
#[test]
fn our_logout_times_out() {
    both_roles(|mut h| {
        h.establish(30);
        h.logout(None);
        h.expect("35=5|34=2|");
        h.advance_ms(1_900);
        h.expect_connected();
        h.advance_ms(100);
        h.expect_none();
        h.expect_disconnect(DisconnectReason::LogoutTimeout);
    });
}

/// A Logout asked for before the Logon is exchanged just closes the
/// connection.
#[test]
fn logout_before_logon_closes() {
    both_roles(|mut h| {
        h.connect();
        h.take_output();
        h.logout(Some("shutting down"));
        h.expect_none();
        h.expect_disconnect(DisconnectReason::Shutdown);
    });
}

/// `reset_on_logout` resets both counters after a completed Logout;
/// `reset_on_disconnect` after any disconnect.
#[test]
fn reset_on_logout_and_on_disconnect() {
    let mut h = Harness::acceptor(|c| c.reset_on_logout = true);
    h.establish(30);
    h.send("5", "");
    h.expect("35=5|");
    assert_eq!((h.store.next_out(), h.store.next_in()), (1, 1));
    assert_eq!(h.store.changes, ["reset: reset_on_logout"]);

    let mut h = Harness::acceptor(|c| c.reset_on_disconnect = true);
    h.establish(30);
    h.drop_connection(DisconnectReason::Io(ErrorKind::UnexpectedEof));
    assert_eq!((h.store.next_out(), h.store.next_in()), (1, 1));
    assert_eq!(h.store.changes, ["reset: reset_on_disconnect"]);
}
