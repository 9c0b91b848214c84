//! PACE end to end through a real PC/SC stack: the software chip attached to
//! the `vpcd` virtual reader as the card (a TCP client speaking vpcd's
//! protocol, `mrtdd::chip::vpcd`), read with the PC/SC adapter through pcscd.
//! Debian has no PACE-capable emulator (TESTSTACK.md), so the chip is ours;
//! the transport, pcscd and the virtual reader are not.
//!
//! Needs `MRTDD_E2E=1` and pcscd with vpcd running (scripts/test.sh does both).
#![cfg(feature = "software-chip")]

use mrtdd::chip::{Document, SoftwareChip};
use mrtdd::pcsc as adapter;
use mrtdd::protocol::apdu::StatusWord;
use mrtdd::protocol::cccd_qr::CccdQr;
use mrtdd::protocol::error::Error;
use mrtdd::protocol::mrz::Mrz;
use mrtdd::protocol::read::NoHooks;
use mrtdd::protocol::session::{Access, AccessKey, AccessMethod, DocumentRead, KeyUsed, ReadOptions, read_document};
use mrtdd::protocol::verify::HashCheck;
use std::io::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use zeroize::Zeroizing;

#[path = "support/e2e.rs"]
mod e2e;

use e2e::VpcdCard;

/// vpcd's second reader (the first is used by the vicc tests).
const READER: &str = "Virtual PCD 00 01";
const CARD_ADDR: &str = "127.0.0.1:35964";
const CARD_STATE_TIMEOUT: Duration = Duration::from_secs(5);
/// A little over pcscd's 400 ms poll of vpcd: a removal must be seen before the next insertion.
const VPCD_POLL_PERIOD: Duration = Duration::from_millis(500);
static READER_LOCK: Mutex<()> = Mutex::new(());

fn enabled(test: &str) -> bool {
    if std::env::var_os("MRTDD_E2E").is_some() {
        return true;
    }
    let _ = writeln!(std::io::stderr(), "skipping {test}: set MRTDD_E2E=1 with pcscd (vpcd) running (scripts/test.sh)");
    false
}

/// The software chip in the virtual reader until dropped.
struct Card {
    card: VpcdCard,
    ctx: adapter::Context,
}

impl Card {
    fn insert(chip: SoftwareChip) -> Self {
        let ctx = adapter::establish().expect("pcscd with vpcd must be running (scripts/test.sh starts it)");
        adapter::wait_for_card(&ctx, READER, false, CARD_STATE_TIMEOUT).expect("reader state").expect("reader empty");
        std::thread::sleep(VPCD_POLL_PERIOD);
        let card = VpcdCard::place(chip, CARD_ADDR);
        let present = adapter::wait_for_card(&ctx, READER, true, CARD_STATE_TIMEOUT).expect("reader state");
        assert!(present.is_some_and(|r| r.atr.is_some()), "the card did not appear in {READER}");
        Self { card, ctx }
    }

    fn read(&self, key: &AccessKey) -> Result<DocumentRead, Error> {
        let mut card = adapter::connect(&self.ctx, READER)?;
        adapter::with_transaction(&mut card, |t| read_document(t, key, &ReadOptions::default(), &mut NoHooks))?
    }

    fn remove(mut self) -> SoftwareChip {
        let chip = self.card.take();
        let _ = adapter::wait_for_card(&self.ctx, READER, false, CARD_STATE_TIMEOUT);
        chip
    }
}

fn assert_verified(read: &DocumentRead, access: Access) {
    assert_eq!(read.access, access);
    assert!(!read.hashes.data_groups.is_empty());
    assert!(read.hashes.data_groups.values().all(|c| *c == HashCheck::Valid), "{:?}", read.hashes);
    assert_eq!(read.cccd.as_ref().and_then(|c| c.id_number.as_deref()), Some("001095012345"));
    assert_eq!(read.dg1.as_ref().map(|d| d.mrz.document_number.as_str()), Some("095012345"));
}

#[test]
fn pace_with_can_qr_and_mrz_through_pcscd() {
    if !enabled("pace_with_can_qr_and_mrz_through_pcscd") {
        return;
    }
    let _lock = READER_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let doc = Document::cccd_demo().unwrap();
    let mrz_key = AccessKey::Mrz(Mrz::parse(doc.mrz()).unwrap().bac_key());
    let card = Card::insert(SoftwareChip::new(doc));

    let started = Instant::now();
    let read = card.read(&AccessKey::Can(Zeroizing::new("012345".into()))).unwrap();
    let can_ms = started.elapsed().as_millis();
    assert_verified(&read, Access { method: AccessMethod::Pace, key: KeyUsed::Can });

    let qr = CccdQr::parse("001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021").unwrap();
    let read = card.read(&AccessKey::CccdQr(Box::new(qr))).unwrap();
    assert_verified(&read, Access { method: AccessMethod::Pace, key: KeyUsed::Can });

    let read = card.read(&mrz_key).unwrap();
    assert_verified(&read, Access { method: AccessMethod::Pace, key: KeyUsed::Mrz });

    let chip = card.remove();
    assert_eq!(chip.pace_attempts(), 3);
    let _ = writeln!(std::io::stderr(), "PACE-CAN read through pcscd: {can_ms} ms, {} APDUs", read.stats.apdus);
}

#[test]
fn wrong_can_through_pcscd_is_one_attempt() {
    if !enabled("wrong_can_through_pcscd_is_one_attempt") {
        return;
    }
    let _lock = READER_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    let card = Card::insert(SoftwareChip::new(Document::cccd_demo().unwrap()));
    let err = card.read(&AccessKey::Can(Zeroizing::new("999999".into()))).unwrap_err();
    assert_eq!(err, Error::AccessDenied(StatusWord::VERIFICATION_FAILED));
    let chip = card.remove();
    assert_eq!(chip.pace_attempts(), 1);
}
