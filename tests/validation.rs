//! Validation against the shipped FIX 4.4 dictionary: every SessionRejectReason
//! the validator reports, with the RefTagID QuickFIX's acceptance scripts expect.

use fixrail::codec::testing::fix;
use fixrail::codec::Parser;
use fixrail::dictionary::{Dictionary, SessionRejectReason as R, ValidationConfig, Validator};
use std::sync::OnceLock;

fn dict() -> &'static Dictionary {
    static D: OnceLock<Dictionary> = OnceLock::new();
    D.get_or_init(Dictionary::fix44)
}

const HDR: &str = "8=FIX.4.4|35=0|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|";

/// Validates one message written with '|' for SOH; returns (373, 371) or None.
fn check_with(config: ValidationConfig, text: &str) -> Option<(u32, Option<String>)> {
    let bytes = fix(text);
    let mut parser = Parser::new(dict().parse_spec().clone(), 256);
    let msg = parser.parse(&bytes).expect("test messages parse");
    let mut v = Validator::new(dict(), config);
    v.validate(dict(), &msg).err().map(|r| {
        (
            r.reason.code(),
            r.ref_tag
                .map(|t| String::from_utf8_lossy(t.as_bytes()).into_owned()),
        )
    })
}

fn check(text: &str) -> Option<(u32, Option<String>)> {
    check_with(ValidationConfig::default(), text)
}

fn rejects(code: u32, tag: &str) -> Option<(u32, Option<String>)> {
    Some((code, Some(tag.to_string())))
}

#[test]
fn well_formed_messages_pass() {
    // A heartbeat, a NOS with optional fields, and a SecurityDefinition with
    // an empty repeating group (QuickFIX script 21) are all valid.
    assert_eq!(check(HDR), None);
    assert_eq!(check("8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=1|38=002000.00|40=1|54=1|55=INTC|60=20261122-10:00:00|167=CS|"), None);
    assert_eq!(check("8=FIX.4.4|35=d|34=2|49=TW44|56=ISLD|52=20261122-10:00:00|320=JCD1091-20021011|322=1034356488676|323=6|55=TBS|22=8|167=CS|336=ONE_MAIN|58=No Products found for this Class Symbol|454=0|"), None);
}

#[test]
fn invalid_tag_number_reports_the_tag_as_written() {
    // QuickFIX 14a: 999, 0, -1 and 5000 are all "Invalid tag number" (0).
    for tag in ["999", "0", "-1", "5000"] {
        assert_eq!(
            check(&format!("{HDR}{tag}=HI|")),
            rejects(0, tag),
            "tag {tag}"
        );
    }
}

#[test]
fn required_tag_missing_names_the_lowest_missing_tag() {
    // QuickFIX 14b: a heartbeat without TargetCompID; a NOS without ClOrdID
    // (and without Symbol: the lower tag is named).
    assert_eq!(
        check("8=FIX.4.4|35=0|34=2|49=TW44|52=20261122-10:00:00|"),
        rejects(1, "56")
    );
    assert_eq!(check("8=FIX.4.4|35=D|49=TW44|34=3|56=ISLD|52=20261122-10:00:00|40=1|60=20261122-10:00:00|54=1|21=3|"), rejects(1, "11"));
}

#[test]
fn tag_not_defined_for_this_message_type() {
    // QuickFIX 14c: Symbol in a heartbeat.
    assert_eq!(check(&format!("{HDR}55=MSFT|")), rejects(2, "55"));
}

#[test]
fn tag_specified_without_a_value() {
    // QuickFIX 14d, and the validate script's TestReqID.
    assert_eq!(
        check("8=FIX.4.4|35=0|34=2|49=TW44|52=20261122-10:00:00|56=|"),
        rejects(4, "56")
    );
    assert_eq!(
        check("8=FIX.4.4|35=1|34=2|49=TW|52=20261122-10:00:00|56=ISLD|112=|"),
        rejects(4, "112")
    );
}

#[test]
fn empty_values_pass_when_the_switch_is_off() {
    // The NO_CHECK_FIELDS_HAVE_VALUES session of the validate script.
    let config = ValidationConfig {
        validate_fields_have_values: false,
        ..Default::default()
    };
    assert_eq!(
        check_with(
            config,
            "8=FIX.4.4|35=1|34=2|49=TW|52=20261122-10:00:00|56=ISLD|112=|"
        ),
        None
    );
}

#[test]
fn value_out_of_range_for_an_enum() {
    // QuickFIX 14e: HandlInst=4 and SecurityType=BOO.
    let nos = "8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|40=1|54=1|38=002000.00|55=INTC|60=20261122-10:00:00|";
    assert_eq!(check(&format!("{nos}21=4|")), rejects(5, "21"));
    assert_eq!(check(&format!("{nos}21=1|167=BOO|")), rejects(5, "167"));
    // A multiple-value field checks every token: ExecInst (18).
    assert_eq!(check(&format!("{nos}18=1 2|")), None);
    assert_eq!(check(&format!("{nos}18=1 ?|")), rejects(5, "18"));
}

#[test]
fn incorrect_data_format() {
    // QuickFIX 14f: OrderQty=+200.00; and one per type family.
    let nos =
        "8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=1|40=1|54=1|55=INTC|";
    assert_eq!(
        check(&format!("{nos}38=+200.00|60=20261122-10:00:00|")),
        rejects(6, "38")
    );
    assert_eq!(
        check(&format!("{nos}38=1e3|60=20261122-10:00:00|")),
        rejects(6, "38")
    );
    assert_eq!(
        check(&format!("{nos}38=100|60=2026-11-22|")),
        rejects(6, "60")
    );
    assert_eq!(
        check(&format!("{nos}38=100|60=20261122-10:00:00|110=x|")),
        rejects(6, "110")
    );
    assert_eq!(
        check(&format!("{nos}38=100|60=20261122-10:00:00|114=T|")),
        rejects(6, "114")
    );
    // LocalMktDate is not checked, as QuickFIX does not check it; UTCDateOnly is.
    assert_eq!(
        check(&format!("{nos}38=100|60=20261122-10:00:00|64=2026113|")),
        None
    );
    let w = "8=FIX.4.4|35=W|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|55=EUR/USD|268=1|269=0|";
    assert_eq!(check(&format!("{w}272=20261122|")), None);
    assert_eq!(check(&format!("{w}272=20261131|")), rejects(6, "272"));
    assert_eq!(
        check("8=FIX.4.4|35=0|34=x|49=TW44|52=20261122-10:00:00|56=ISLD|"),
        rejects(6, "34")
    );
}

#[test]
fn tag_appears_more_than_once() {
    // QuickFIX 14h: OrdType twice.
    assert_eq!(
        check("8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=1|40=1|40=2|54=1|38=200.00|55=INTC|60=20261122-10:00:00|"),
        rejects(13, "40")
    );
    assert_eq!(
        check("8=FIX.4.4|35=0|34=2|49=TW44|49=TW44|52=20261122-10:00:00|56=ISLD|"),
        rejects(13, "49")
    );
}

#[test]
fn tag_specified_out_of_required_order() {
    // QuickFIX 14g: header fields after body fields name the first one.
    assert_eq!(
        check("8=FIX.4.4|35=D|11=id|21=3|40=1|54=1|55=MSFT|60=20261122-10:00:00|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|"),
        rejects(14, "34")
    );
    assert_eq!(
        check("8=FIX.4.4|35=D|55=MSFT|34=3|49=TW44|52=20261122-10:00:00|56=ISLD|11=id|21=3|40=1|54=1|60=20261122-10:00:00|"),
        rejects(14, "34")
    );
    // With the switch off, the same message is judged on its fields alone.
    let config = ValidationConfig {
        validate_fields_out_of_order: false,
        ..Default::default()
    };
    assert_eq!(
        check_with(config, "8=FIX.4.4|35=D|55=MSFT|34=3|49=TW44|52=20261122-10:00:00|56=ISLD|11=id|21=3|40=1|54=1|60=20261122-10:00:00|"),
        None
    );
}

#[test]
fn invalid_msg_type_has_no_ref_tag() {
    // QuickFIX 2q: MsgType '*'.
    assert_eq!(
        check("8=FIX.4.4|35=*|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|"),
        Some((11, None))
    );
}

#[test]
fn numingroup_must_match_the_instances() {
    // MarketDataRequest with NoRelatedSym=2 but one instance, and NoMDEntryTypes=1 with two.
    let v = "8=FIX.4.4|35=V|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|262=R1|263=1|264=1|";
    assert_eq!(
        check(&format!("{v}267=2|269=0|269=1|146=1|55=EUR/USD|")),
        None
    );
    assert_eq!(
        check(&format!("{v}267=2|269=0|269=1|146=2|55=EUR/USD|")),
        rejects(16, "146")
    );
    assert_eq!(
        check(&format!("{v}267=1|269=0|269=1|146=1|55=EUR/USD|")),
        rejects(16, "267")
    );
    // A group whose first field is not the delimiter has no instances.
    assert_eq!(
        check(&format!("{v}267=2|269=0|269=1|146=1|48=X|55=EUR/USD|")),
        rejects(16, "146")
    );
}

#[test]
fn groups_scope_repeats_and_required_fields_per_instance() {
    // The same tag in two instances is no repeat; twice in one instance is.
    // A nested group (Parties in a MD entry is not FIX 4.4; use NoPartyIDs in NOS).
    let nos = "8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|40=1|54=1|38=100|55=INTC|60=20261122-10:00:00|";
    assert_eq!(
        check(&format!("{nos}453=2|448=A|447=D|452=1|448=B|447=D|452=3|")),
        None
    );
    assert_eq!(
        check(&format!("{nos}453=1|448=A|447=D|447=D|")),
        rejects(13, "447")
    );
    // Nested: PartySubIDs inside a party.
    assert_eq!(
        check(&format!(
            "{nos}453=1|448=A|447=D|452=1|802=2|523=s1|803=1|523=s2|803=2|"
        )),
        None
    );
    assert_eq!(
        check(&format!(
            "{nos}453=1|448=A|447=D|452=1|802=3|523=s1|803=1|523=s2|803=2|"
        )),
        rejects(16, "802")
    );
    // A group member outside its group is not defined for the message.
    assert_eq!(check(&format!("{nos}447=D|")), rejects(2, "447"));
}

#[test]
fn required_fields_inside_group_instances() {
    // MarketDataSnapshot entries require MDEntryType (the delimiter) — and
    // NoMDEntries itself is required.
    let w = "8=FIX.4.4|35=W|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|55=EUR/USD|";
    assert_eq!(check(&format!("{w}268=1|269=0|270=1.1|271=5|")), None);
    assert_eq!(check(w), rejects(1, "268"));
    // Required missing outranks a field error elsewhere.
    assert_eq!(check(&format!("{w}58=|")), rejects(1, "268"));
}

#[test]
fn user_defined_and_unknown_fields_follow_the_switches() {
    let relaxed_user = ValidationConfig {
        validate_user_defined_fields: false,
        ..Default::default()
    };
    assert_eq!(check_with(relaxed_user, &format!("{HDR}5000=HI|")), None);
    assert_eq!(
        check_with(relaxed_user, &format!("{HDR}999=HI|")),
        rejects(0, "999")
    );
    let allow_unknown = ValidationConfig {
        allow_unknown_msg_fields: true,
        ..Default::default()
    };
    assert_eq!(
        check_with(allow_unknown, &format!("{HDR}999=HI|55=MSFT|")),
        None
    );
    assert_eq!(
        check_with(allow_unknown, &format!("{HDR}5000=HI|")),
        rejects(0, "5000")
    );
}

#[test]
fn every_reason_has_the_spec_name_used_as_text() {
    assert_eq!(
        R::TagSpecifiedOutOfRequiredOrder.text(),
        "Tag specified out of required order"
    );
    assert_eq!(
        R::ValueIsIncorrect.text(),
        "Value is incorrect (out of range) for this tag"
    );
    assert_eq!(R::IncorrectNumInGroupCount.code(), 16);
    assert_eq!(R::Other.code(), 99);
}

#[test]
fn a_value_the_engine_cannot_decode_is_an_incorrect_data_format() {
    // Regression: a 20-digit price passed validation, then failed as_fixed();
    // validation now uses the same decoders the engine reads values with.
    let nos = "8=FIX.4.4|35=D|34=2|49=TW44|52=20261122-10:00:00|56=ISLD|11=ID|21=1|38=100|40=2|54=1|55=INTC|60=20261122-10:00:00|";
    assert_eq!(
        check(&format!("{nos}44=99999999999999999999|")),
        rejects(6, "44")
    );
    assert_eq!(check(&format!("{nos}44=999999999999999999|")), None);
}

#[test]
fn the_sending_time_validate_parsed_is_remembered_for_its_bytes_only() {
    let bytes = fix(HDR);
    let mut parser = Parser::new(dict().parse_spec().clone(), 256);
    let msg = parser.parse(&bytes).expect("parses");
    let mut v = Validator::new(dict(), ValidationConfig::default());
    assert_eq!(v.parsed_sending_time(b"20261122-10:00:00"), None);
    assert_eq!(v.validate(dict(), &msg), Ok(()));
    let (expected, _) = fixrail::codec::UtcTimestamp::parse(b"20261122-10:00:00").unwrap();
    assert_eq!(v.parsed_sending_time(b"20261122-10:00:00"), Some(expected));
    assert_eq!(v.parsed_sending_time(b"20261122-10:00:01"), None);
    assert_eq!(v.parsed_sending_time(b"20261122-10:00:0"), None);
    // A malformed SendingTime is rejected as before and not remembered.
    let bad = fix("8=FIX.4.4|35=0|34=2|49=TW44|52=20261122-25:00:00|56=ISLD|");
    let msg = parser.parse(&bad).expect("parses");
    assert_eq!(
        v.validate(dict(), &msg).map_err(|r| r.reason),
        Err(R::IncorrectDataFormat)
    );
    assert_eq!(v.parsed_sending_time(b"20261122-25:00:00"), None);
    assert_eq!(v.parsed_sending_time(b"20261122-10:00:00"), None);
}
