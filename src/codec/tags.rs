//! FIX 4.4 tag numbers and MsgTypes as typed constants.
//!
//! Code refers to fields by these names, never by bare numbers or strings.
//! Tags are `u32` because that is what the wire and the field index carry;
//! a tag not listed here is still fully usable by number (custom LP fields).

/// A FIX tag number.
pub type Tag = u32;

macro_rules! tags {
    ($($(#[$m:meta])* $name:ident = $n:expr;)*) => {
        $($(#[$m])* pub const $name: Tag = $n;)*
        /// Every tag named in this module, with its constant name.
        pub const NAMED: &[(Tag, &str)] = &[$(($n, stringify!($name))),*];
    };
}

tags! {
    ACCOUNT = 1;
    AVG_PX = 6;
    BEGIN_SEQ_NO = 7;
    BEGIN_STRING = 8;
    BODY_LENGTH = 9;
    CHECK_SUM = 10;
    CL_ORD_ID = 11;
    CUM_QTY = 14;
    CURRENCY = 15;
    END_SEQ_NO = 16;
    EXEC_ID = 17;
    EXEC_INST = 18;
    HANDL_INST = 21;
    SECURITY_ID_SOURCE = 22;
    LAST_PX = 31;
    LAST_QTY = 32;
    MSG_SEQ_NUM = 34;
    MSG_TYPE = 35;
    NEW_SEQ_NO = 36;
    ORDER_ID = 37;
    ORDER_QTY = 38;
    ORD_STATUS = 39;
    ORD_TYPE = 40;
    ORIG_CL_ORD_ID = 41;
    POSS_DUP_FLAG = 43;
    PRICE = 44;
    REF_SEQ_NUM = 45;
    SECURITY_ID = 48;
    SENDER_COMP_ID = 49;
    SENDER_SUB_ID = 50;
    SENDING_TIME = 52;
    SIDE = 54;
    SYMBOL = 55;
    TARGET_COMP_ID = 56;
    TARGET_SUB_ID = 57;
    TEXT = 58;
    TIME_IN_FORCE = 59;
    TRANSACT_TIME = 60;
    SIGNATURE = 89;
    SECURE_DATA_LEN = 90;
    SECURE_DATA = 91;
    SIGNATURE_LENGTH = 93;
    RAW_DATA_LENGTH = 95;
    RAW_DATA = 96;
    POSS_RESEND = 97;
    ENCRYPT_METHOD = 98;
    STOP_PX = 99;
    CXL_REJ_REASON = 102;
    ORD_REJ_REASON = 103;
    HEART_BT_INT = 108;
    TEST_REQ_ID = 112;
    ON_BEHALF_OF_COMP_ID = 115;
    ON_BEHALF_OF_SUB_ID = 116;
    ORIG_SENDING_TIME = 122;
    GAP_FILL_FLAG = 123;
    DELIVER_TO_COMP_ID = 128;
    DELIVER_TO_SUB_ID = 129;
    RESET_SEQ_NUM_FLAG = 141;
    SENDER_LOCATION_ID = 142;
    TARGET_LOCATION_ID = 143;
    NO_RELATED_SYM = 146;
    EXEC_TYPE = 150;
    LEAVES_QTY = 151;
    SECURITY_TYPE = 167;
    XML_DATA_LEN = 212;
    XML_DATA = 213;
    MD_REQ_ID = 262;
    SUBSCRIPTION_REQUEST_TYPE = 263;
    MARKET_DEPTH = 264;
    MD_UPDATE_TYPE = 265;
    AGGREGATED_BOOK = 266;
    NO_MD_ENTRY_TYPES = 267;
    NO_MD_ENTRIES = 268;
    MD_ENTRY_TYPE = 269;
    MD_ENTRY_PX = 270;
    MD_ENTRY_SIZE = 271;
    MD_UPDATE_ACTION = 279;
    MD_ENTRY_ID = 278;
    MD_REQ_REJ_REASON = 281;
    MD_ENTRY_POSITION_NO = 290;
    QUOTE_ID = 117;
    QUOTE_REQ_ID = 131;
    SECURITY_REQ_ID = 320;
    SECURITY_RESPONSE_ID = 322;
    SECURITY_RESPONSE_TYPE = 323;
    TRADING_SESSION_ID = 336;
    MESSAGE_ENCODING = 347;
    ENCODED_TEXT_LEN = 354;
    ENCODED_TEXT = 355;
    LAST_MSG_SEQ_NUM_PROCESSED = 369;
    REF_TAG_ID = 371;
    REF_MSG_TYPE = 372;
    SESSION_REJECT_REASON = 373;
    BUSINESS_REJECT_REF_ID = 379;
    BUSINESS_REJECT_REASON = 380;
    CXL_REJ_RESPONSE_TO = 434;
    NO_SECURITY_ALT_ID = 454;
    USERNAME = 553;
    PASSWORD = 554;
    NEW_PASSWORD = 925;
    MASS_STATUS_REQ_ID = 584;
    MASS_STATUS_REQ_TYPE = 585;
    ORD_STATUS_REQ_ID = 790;
    TOT_NUM_REPORTS = 911;
    LAST_RPT_REQUESTED = 912;
    NO_HOPS = 627;
    HOP_COMP_ID = 628;
    HOP_SENDING_TIME = 629;
    HOP_REF_ID = 630;
    NEXT_EXPECTED_MSG_SEQ_NUM = 789;
}

macro_rules! msg_types {
    ($($(#[$m:meta])* $name:ident = $v:literal,)*) => {
        /// A FIX MsgType (tag 35) value the engine names. Any other MsgType is
        /// still carried as bytes; [`MsgType::from_bytes`] answers `None` for it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum MsgType {
            $($(#[$m])* $name,)*
        }

        impl MsgType {
            /// The MsgType for the wire value, if it is one this enum names.
            #[inline]
            pub fn from_bytes(v: &[u8]) -> Option<MsgType> {
                match v {
                    $($v => Some(MsgType::$name),)*
                    _ => None,
                }
            }

            /// The wire value.
            pub const fn as_bytes(self) -> &'static [u8] {
                match self {
                    $(MsgType::$name => $v,)*
                }
            }

            /// True for the session-level (administrative) messages.
            pub const fn is_admin(self) -> bool {
                matches!(
                    self,
                    MsgType::Heartbeat
                        | MsgType::TestRequest
                        | MsgType::ResendRequest
                        | MsgType::Reject
                        | MsgType::SequenceReset
                        | MsgType::Logout
                        | MsgType::Logon
                )
            }
        }
    };
}

msg_types! {
    /// 0
    Heartbeat = b"0",
    /// 1
    TestRequest = b"1",
    /// 2
    ResendRequest = b"2",
    /// 3
    Reject = b"3",
    /// 4
    SequenceReset = b"4",
    /// 5
    Logout = b"5",
    /// 8
    ExecutionReport = b"8",
    /// 9
    OrderCancelReject = b"9",
    /// A
    Logon = b"A",
    /// C
    Email = b"C",
    /// D
    NewOrderSingle = b"D",
    /// F
    OrderCancelRequest = b"F",
    /// G
    OrderCancelReplaceRequest = b"G",
    /// H
    OrderStatusRequest = b"H",
    /// R
    QuoteRequest = b"R",
    /// S
    Quote = b"S",
    /// V
    MarketDataRequest = b"V",
    /// W
    MarketDataSnapshotFullRefresh = b"W",
    /// X
    MarketDataIncrementalRefresh = b"X",
    /// Y
    MarketDataRequestReject = b"Y",
    /// Z
    QuoteCancel = b"Z",
    /// d
    SecurityDefinition = b"d",
    /// j
    BusinessMessageReject = b"j",
    /// AF
    OrderMassStatusRequest = b"AF",
    /// AG
    QuoteRequestReject = b"AG",
}

/// The name of a tag this module names, for logs and dumps without a dictionary.
pub fn name(tag: Tag) -> Option<&'static str> {
    NAMED.iter().find(|(t, _)| *t == tag).map(|(_, n)| *n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msg_types_round_trip_through_their_wire_values() {
        for v in [&b"0"[..], b"A", b"D", b"AF", b"j", b"X"] {
            assert_eq!(MsgType::from_bytes(v).unwrap().as_bytes(), v);
        }
        assert_eq!(MsgType::from_bytes(b"*"), None);
        assert!(MsgType::Logon.is_admin());
        assert!(!MsgType::NewOrderSingle.is_admin());
    }

    #[test]
    fn named_tags_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (t, n) in NAMED {
            assert!(seen.insert(*t), "tag {t} ({n}) named twice");
        }
        assert_eq!(name(MSG_SEQ_NUM), Some("MSG_SEQ_NUM"));
    }
}
