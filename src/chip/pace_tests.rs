//! PACE and EF.CardAccess tests of the whole chip: the ICAO 9303-11 worked
//! example replayed byte for byte, the independent test terminal of
//! `pace_terminal.rs` on every curve and cipher, errors, faults, and a
//! never-panics property.

use super::pace_terminal::{PaceError, PaceRequest, pace};
use super::terminal::{Session, Terminal};
use super::*;
use crate::protocol::apdu::CommandApdu;
use crate::protocol::transceive::Transceive;
use hex_literal::hex;
use proptest::prelude::*;

// ------------------------------------------------ ICAO 9303-11 Appendix G.1

/// ICAO 9303-11 Appendix G.1 (PACE, ECDH Generic Mapping, brainpoolP256r1,
/// id-PACE-ECDH-GM-AES-CBC-CMAC-128, MRZ password): the published values.
mod g1 {
    use hex_literal::hex;
    /// MRZ: document number T22000129, born 640812, expires 101031.
    pub const MRZ_INFORMATION: &str = "T22000129364081251010318";
    pub const K_PI: [u8; 16] = hex!("89DED1B26624EC1E634C1989302849DD");
    pub const NONCE: [u8; 16] = hex!("3F00C4D39D153F2B2A214A078D899B22");
    pub const SK_MAP_PICC: [u8; 32] = hex!("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560");
    pub const SK_EPH_PICC: [u8; 32] = hex!("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A");
    pub const SK_MAP_PCD: [u8; 32] = hex!("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99");
    pub const SK_EPH_PCD: [u8; 32] = hex!("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595");
    pub const KS_ENC: [u8; 16] = hex!("F5F0E35C0D7161EE6724EE513A0D9A7F");
    pub const KS_MAC: [u8; 16] = hex!("FE251C7858B356B24514B3BD5F4297D1");
    pub const CARD_ACCESS: [u8; 22] = hex!("31143012060A04007F0007020204020202010202010D");
    /// The command/response pairs of the worked example.
    pub const MSE_SET_AT: [u8; 20] = hex!("0022C1A40F800A04007F00070202040202830101");
    pub const GA1: [u8; 8] = hex!("10860000027C0000");
    pub const GA1_ANSWER: [u8; 22] = hex!("7C12801095A3A016522EE98D01E76CB6B98B42C39000");
    pub const GA2: [u8; 75] = hex!(
        "10860000457C438141047ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
        "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D00"
    );
    pub const GA2_ANSWER: [u8; 71] = hex!(
        "7C43824104824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C549000"
    );
    pub const GA3: [u8; 75] = hex!(
        "10860000457C438341042DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
        "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB3646200"
    );
    pub const GA3_ANSWER: [u8; 71] = hex!(
        "7C438441049E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F0949000"
    );
    pub const GA4: [u8; 18] = hex!("008600000C7C0A8508C2B0BD78D94BA86600");
    pub const GA4_ANSWER: [u8; 14] = hex!("7C0A86083ABB9674BCE93C089000");
}

/// The worked example's passport: the specimen with the example's MRZ key and
/// the example's single PACEInfo.
fn g1_document() -> Document {
    DocumentBuilder::td3_specimen().mrz_key("T22000129", "640812", "101031").pace(PaceSuite::CCCD).build().unwrap()
}

fn g1_chip() -> SoftwareChip {
    let mut chip = SoftwareChip::new(g1_document());
    chip.set_randomness(Randomness::Script([&g1::NONCE[..], &g1::SK_MAP_PICC, &g1::SK_EPH_PICC].concat()));
    chip
}

fn raw(chip: &mut SoftwareChip, apdu: &[u8]) -> Vec<u8> {
    chip.transceive(apdu).unwrap()
}

fn sw(chip: &mut SoftwareChip, apdu: &[u8]) -> u16 {
    let r = raw(chip, apdu);
    u16::from_be_bytes([r[r.len() - 2], r[r.len() - 1]])
}

/// The chip, given the example's nonce and private keys, answers every
/// command of the worked example with exactly the published bytes: the
/// encrypted nonce z, PK_map,PICC, PK_eph,PICC and T_PICC; it accepts the
/// published T_PCD; and its session keys are the published KS_enc / KS_mac.
#[test]
fn icao_9303_11_appendix_g1_worked_example() {
    let doc = g1_document();
    assert_eq!(doc.mrz_information(), g1::MRZ_INFORMATION);
    assert_eq!(doc.card_access(), Some(&g1::CARD_ACCESS[..]), "EF.CardAccess of the example");
    let mut chip = g1_chip();
    assert_eq!(raw(&mut chip, &g1::MSE_SET_AT), [0x90, 0x00]);
    assert_eq!(raw(&mut chip, &g1::GA1), g1::GA1_ANSWER, "z = E(K_pi, s)");
    assert_eq!(raw(&mut chip, &g1::GA2), g1::GA2_ANSWER, "PK_map,PICC");
    assert_eq!(raw(&mut chip, &g1::GA3), g1::GA3_ANSWER, "PK_eph,PICC on G'");
    assert_eq!(raw(&mut chip, &g1::GA4), g1::GA4_ANSWER, "T_PICC");
    assert_eq!(chip.session_origin(), Some(SessionOrigin::Pace(PaceSuite::CCCD)));
    assert_eq!(chip.pace_attempts(), 1);
    // Secure messaging with the published session keys and SSC 0 works.
    let mut t = Terminal::new(chip);
    t.set_session(Session::new(g1::KS_ENC.to_vec(), g1::KS_MAC.to_vec(), 0, true));
    let a = t.send(&CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID.to_vec())).unwrap();
    assert_eq!(a.sw, 0x9000);
    let com = t.read_file(0x1E, 0xDF);
    assert_eq!(com, t.chip.document().file(0x011E).unwrap());
}

/// The independent terminal, given the example's PCD keys, agrees with the
/// chip's answers: same keys, tokens verified both ways.
#[test]
fn appendix_g1_through_the_test_terminal() {
    let mut t = Terminal::new(g1_chip());
    let mut req = PaceRequest::mrz(2, 13, g1::MRZ_INFORMATION);
    req.send_parameter_id = false;
    req.keys = Some((g1::SK_MAP_PCD.to_vec(), g1::SK_EPH_PCD.to_vec()));
    pace(&mut t, &req).unwrap();
    assert_eq!(t.send(&CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID.to_vec())).unwrap().sw, 0x9000);
    // K_pi itself, from the MSE:Set AT side.
    assert_eq!(
        crate::protocol::crypto::kdf(
            &<sha1::Sha1 as sha1::Digest>::digest(g1::MRZ_INFORMATION.as_bytes()),
            3,
            crate::protocol::crypto::KeyKind::Aes128
        )[..],
        g1::K_PI
    );
}

/// Reusing the chip's own PK_eph,PICC as PK_eph,PCD is refused (ICAO 9303-11 §4.4.3.3.2).
#[test]
fn ephemeral_key_equal_to_the_chips_is_refused() {
    let mut chip = g1_chip();
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(raw(&mut chip, &g1::GA1), g1::GA1_ANSWER);
    assert_eq!(raw(&mut chip, &g1::GA2), g1::GA2_ANSWER);
    let mut echo = g1::GA3;
    echo[9..74].copy_from_slice(&g1::GA3_ANSWER[4..69]);
    assert_eq!(sw(&mut chip, &echo), 0x6A80);
    assert_eq!(sw(&mut chip, &g1::GA4), 0x6985, "the run was forgotten");
}

// ------------------------------------------------ the test terminal on every suite

fn all_suites() -> Vec<PaceSuite> {
    let ciphers = [PaceCipher::Des3, PaceCipher::Aes128, PaceCipher::Aes192, PaceCipher::Aes256];
    PaceCurve::ALL.iter().flat_map(|&curve| ciphers.map(|cipher| PaceSuite::new(cipher, curve))).collect()
}

fn arc(cipher: PaceCipher) -> u8 {
    match cipher {
        PaceCipher::Des3 => 1,
        PaceCipher::Aes128 => 2,
        PaceCipher::Aes192 => 3,
        PaceCipher::Aes256 => 4,
    }
}

/// Every curve × every cipher, with the CAN and with the MRZ, then EF.COM
/// and DG1 read under the session's secure messaging.
#[test]
fn pace_with_can_and_mrz_on_every_curve_and_cipher() {
    let suites = all_suites();
    assert_eq!(suites.len(), 20);
    let mut builder = DocumentBuilder::cccd_demo().without_pace();
    for s in &suites {
        builder = builder.add_pace(*s);
    }
    let doc = builder.build().unwrap();
    assert_eq!(doc.pace_suites(), suites.as_slice());
    let can = doc.can().unwrap().to_string();
    let mrz = doc.mrz_information().to_string();
    for suite in &suites {
        for by_can in [true, false] {
            let req = if by_can {
                PaceRequest::can(arc(suite.cipher), suite.parameter_id(), &can)
            } else {
                PaceRequest::mrz(arc(suite.cipher), suite.parameter_id(), &mrz)
            };
            let mut t = Terminal::new(SoftwareChip::new(doc.clone()));
            pace(&mut t, &req).unwrap_or_else(|e| panic!("{suite:?} can={by_can}: {e:?}"));
            assert_eq!(t.chip.session_origin(), Some(SessionOrigin::Pace(*suite)));
            let a = t.send(&CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID.to_vec())).unwrap();
            assert_eq!(a.sw, 0x9000);
            assert_eq!(t.read_file(0x1E, 0xDF), doc.file(0x011E).unwrap(), "{suite:?}");
            assert_eq!(t.read_file(0x01, 0xDF), doc.file(0x0101).unwrap(), "{suite:?}");
        }
    }
}

/// The demo CCCD as shipped: PACE with the CAN from the brief, then a full DG13 read.
#[test]
fn cccd_demo_pace_with_its_can() {
    let doc = Document::cccd_demo().unwrap();
    assert_eq!(doc.pace_suites(), [PaceSuite::CCCD]);
    let mut t = Terminal::new(SoftwareChip::new(doc.clone()));
    let mut req = PaceRequest::can(2, 13, "012345");
    req.send_parameter_id = false;
    pace(&mut t, &req).unwrap();
    assert_eq!(t.send(&CommandApdu::new(0x00, 0xA4, 0x04, 0x0C).with_data(EMRTD_AID.to_vec())).unwrap().sw, 0x9000);
    assert_eq!(t.read_file(0x0D, 0xDF), doc.file(0x010D).unwrap());
    // DG3 stays behind Terminal Authentication.
    assert_eq!(t.read_sfi(0x03, 0, 4).unwrap().sw, 0x6982);
    // BAC with the MRZ works on the same card (CCCD.md).
    let mut t = Terminal::new(SoftwareChip::new(doc));
    t.open();
    assert_eq!(t.chip.session_origin(), Some(SessionOrigin::Bac));
}

// ------------------------------------------------ wrong passwords and order

#[test]
fn wrong_can_answers_6300_after_exactly_one_attempt() {
    let mut t = Terminal::new(SoftwareChip::new(Document::cccd_demo().unwrap()));
    assert_eq!(pace(&mut t, &PaceRequest::can(2, 13, "012346")), Err(PaceError::Status("GA4", 0x6300)));
    assert_eq!(t.chip.pace_attempts(), 1);
    assert!(!t.chip.secure_messaging_active());
    // The run is forgotten: another step 4 is out of order.
    assert_eq!(t.plain(&g1::GA4).sw, 0x6985);
    // The right CAN still works (no retry counter on the CAN).
    pace(&mut t, &PaceRequest::can(2, 13, "012345")).unwrap();
    assert_eq!(t.chip.pace_attempts(), 2);
    // A wrong MRZ is a token mismatch too.
    let mut t = Terminal::new(SoftwareChip::new(Document::cccd_demo().unwrap()));
    assert_eq!(
        pace(&mut t, &PaceRequest::mrz(2, 13, "095012345595031243503123")),
        Err(PaceError::Status("GA4", 0x6300))
    );
}

#[test]
fn commands_out_of_order_answer_6985() {
    let mut chip = SoftwareChip::new(g1_document());
    // GENERAL AUTHENTICATE without MSE:Set AT.
    assert_eq!(sw(&mut chip, &g1::GA1), 0x6985);
    // A step skipped.
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &g1::GA2), 0x6985);
    assert_eq!(sw(&mut chip, &g1::GA1), 0x6985, "forgotten after the error");
    // A step repeated.
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &g1::GA1), 0x9000);
    assert_eq!(sw(&mut chip, &g1::GA1), 0x6985);
    // Chaining: steps 1-3 chained, step 4 last.
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &hex!("00860000027C0000")), 0x6985);
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    let mut chip = g1_chip();
    for apdu in [&g1::MSE_SET_AT[..], &g1::GA1, &g1::GA2, &g1::GA3] {
        assert_eq!(sw(&mut chip, apdu), 0x9000);
    }
    let mut chained = g1::GA4;
    chained[0] = 0x10;
    assert_eq!(sw(&mut chip, &chained), 0x6985);
    assert!(!chip.secure_messaging_active());
    // Bad parameters and data.
    let mut chip = SoftwareChip::new(g1_document());
    assert_eq!(sw(&mut chip, &hex!("0022C1A60F800A04007F00070202040202830101")), 0x6A86);
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &hex!("10860100027C0000")), 0x6A86);
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &hex!("10860000027D0000")), 0x6A80);
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &hex!("10860000047C02990000")), 0x6A80);
    // Chaining is for GENERAL AUTHENTICATE only.
    assert_eq!(sw(&mut chip, &hex!("10A4040C07A0000002471001")), 0x6884);
}

#[test]
fn received_points_are_validated() {
    let ga = |cla: u8, tag: u8, point: &[u8]| {
        let mut v = vec![cla, 0x86, 0x00, 0x00, (point.len() + 4) as u8, 0x7C, (point.len() + 2) as u8, tag];
        v.push(point.len() as u8);
        v.extend_from_slice(point);
        v.push(0x00);
        v
    };
    let g = PaceCurve::BrainpoolP256r1.generator();
    let mut off_curve = g.clone();
    off_curve[64] ^= 1;
    let mut compressed = vec![0x02 | (g[64] & 1)];
    compressed.extend_from_slice(&g[1..33]);
    for bad in [off_curve.clone(), compressed, vec![0x00], g[..64].to_vec(), vec![0x04; 65]] {
        let mut chip = SoftwareChip::new(g1_document());
        assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
        assert_eq!(sw(&mut chip, &g1::GA1), 0x9000);
        assert_eq!(sw(&mut chip, &ga(0x10, 0x81, &bad)), 0x6A80, "mapping key {bad:02X?}");
        // Step 3 too.
        assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
        assert_eq!(sw(&mut chip, &g1::GA1), 0x9000);
        assert_eq!(sw(&mut chip, &ga(0x10, 0x81, &g)), 0x9000);
        assert_eq!(sw(&mut chip, &ga(0x10, 0x83, &bad)), 0x6A80, "ephemeral key {bad:02X?}");
    }
    // A point of another curve (P-256's generator) is not on brainpoolP256r1.
    let mut chip = SoftwareChip::new(g1_document());
    assert_eq!(sw(&mut chip, &g1::MSE_SET_AT), 0x9000);
    assert_eq!(sw(&mut chip, &g1::GA1), 0x9000);
    assert_eq!(sw(&mut chip, &ga(0x10, 0x81, &PaceCurve::NistP256.generator())), 0x6A80);
}

#[test]
fn pace_is_refused_under_secure_messaging_and_needs_a_password_the_card_has() {
    let mut t = Terminal::new(SoftwareChip::new(Document::cccd_demo().unwrap()));
    t.open();
    let mse = CommandApdu::new(0x00, 0x22, 0xC1, 0xA4).with_data(hex!("800A04007F00070202040202830102").to_vec());
    assert_eq!(t.send(&mse).unwrap().sw, 0x6985);
    // No CAN on the passport: 6A88; PIN: 6A88; unknown protocol: 6A80.
    let doc = DocumentBuilder::td3_specimen().pace(PaceSuite::CCCD).build().unwrap();
    let mut chip = SoftwareChip::new(doc.clone());
    assert_eq!(sw(&mut chip, &hex!("0022C1A40F800A04007F00070202040202830102")), 0x6A88);
    assert_eq!(sw(&mut chip, &hex!("0022C1A40F800A04007F00070202040202830103")), 0x6A88);
    assert_eq!(sw(&mut chip, &hex!("0022C1A40F800A04007F00070202040203830101")), 0x6A80);
    // With a CAN added by the builder it works.
    let doc = DocumentBuilder::td3_specimen().pace(PaceSuite::CCCD).can("424242").build().unwrap();
    let mut t = Terminal::new(SoftwareChip::new(doc));
    pace(&mut t, &PaceRequest::can(2, 13, "424242")).unwrap();
    assert!(DocumentBuilder::td3_specimen().can("12 34").build().is_err());
    assert!(DocumentBuilder::td3_specimen().mrz_key("L898902C3X", "740812", "120415").build().is_err());
    assert!(DocumentBuilder::td3_specimen().mrz_key("L898902C3", "7408", "120415").build().is_err());
}

// ------------------------------------------------ EF.CardAccess

/// The CCCD's EF.CardAccess as in CCCD.md: TerminalAuthenticationInfo (v2),
/// ChipAuthenticationInfo (id-CA-ECDH-AES-CBC-CMAC-128, v1), PACEInfo
/// (id-PACE-ECDH-GM-AES-CBC-CMAC-128, v2, parameterId 13).
const CCCD_CARD_ACCESS: [u8; 54] = hex!(
    "3134"
    "300D 0608 04007F0007020202 020102"
    "300F 060A 04007F00070202030202 020101"
    "3012 060A 04007F00070202040202 020102 02010D"
);

#[test]
fn card_access_readable_in_the_clear() {
    let doc = Document::cccd_demo().unwrap();
    assert_eq!(doc.card_access(), Some(&CCCD_CARD_ACCESS[..]));
    let mut t = Terminal::new(SoftwareChip::new(doc));
    // SELECT MF is not supported on the CCCD; the MF is current after reset.
    assert_eq!(t.plain(&hex!("00A4000C023F00")).sw, 0x6D00);
    assert_eq!(t.plain(&hex!("00A4020C02011C")).sw, 0x9000);
    let a = t.plain(&hex!("00B0000000"));
    assert_eq!((a.data.as_slice(), a.sw), (&CCCD_CARD_ACCESS[..], 0x6282));
    let a = t.plain(&hex!("00B0000036"));
    assert_eq!((a.data.as_slice(), a.sw), (&CCCD_CARD_ACCESS[..], 0x9000));
    // By SFI 1C, from the MF and with the eMRTD application selected.
    assert_eq!(t.plain(&hex!("00B09C0004")).data, CCCD_CARD_ACCESS[..4]);
    assert_eq!(t.select_applet(), 0x9000);
    assert_eq!(t.plain(&hex!("00B09C0004")).data, CCCD_CARD_ACCESS[..4]);
    assert_eq!(t.plain(&hex!("00B09C3404")).data, CCCD_CARD_ACCESS[0x34..]);
    // Application files stay protected.
    assert_eq!(t.plain(&hex!("00B09E0004")).sw, 0x6982);
    // Also under secure messaging after BAC.
    t.open();
    let a = t.read_sfi(0x1C, 0, 0x36).unwrap();
    assert_eq!((a.data.as_slice(), a.sw), (&CCCD_CARD_ACCESS[..], 0x9000));
}

#[test]
fn passport_and_without_pace_have_no_card_access_and_refuse_pace() {
    for doc in [Document::td3_specimen().unwrap(), DocumentBuilder::cccd_demo().without_pace().build().unwrap()] {
        assert!(doc.pace_suites().is_empty());
        assert_eq!(doc.card_access(), None);
        let mut t = Terminal::new(SoftwareChip::new(doc));
        assert_eq!(t.plain(&hex!("00A4020C02011C")).sw, 0x6A82);
        assert_eq!(t.plain(&hex!("00B09C0004")).sw, 0x6A82);
        assert_eq!(t.plain(&hex!("0022C1A40F800A04007F00070202040202830101")).sw, 0x6A80);
        t.open(); // BAC
        assert_eq!(t.chip.session_origin(), Some(SessionOrigin::Bac));
    }
    // Several PACEInfos, in the order given; a P-256 one has parameterId 12.
    let doc = DocumentBuilder::td3_specimen()
        .pace(PaceSuite::new(PaceCipher::Aes128, PaceCurve::NistP256))
        .add_pace(PaceSuite::new(PaceCipher::Aes256, PaceCurve::NistP521))
        .build()
        .unwrap();
    assert_eq!(
        doc.card_access().unwrap(),
        hex!("3128" "3012060A04007F0007020204020202010202010C" "3012060A04007F00070202040204020102020112")
    );
}

// ------------------------------------------------ faults

#[test]
fn fault_pace_reject_mse_set_at() {
    let mut chip = SoftwareChip::with_faults(Document::cccd_demo().unwrap(), [Fault::PaceRejectMseSetAt.first(1)]);
    assert_eq!(sw(&mut chip, &hex!("0022C1A40F800A04007F00070202040202830102")), 0x6A80);
    let mut t = Terminal::new(chip);
    pace(&mut t, &PaceRequest::can(2, 13, "012345")).unwrap();
    assert_eq!(t.chip.faults()[0].fired(), 1);
}

#[test]
fn fault_pace_bad_mapping_point() {
    let mut t =
        Terminal::new(SoftwareChip::with_faults(Document::cccd_demo().unwrap(), [Fault::PaceBadMappingPoint.into()]));
    assert_eq!(pace(&mut t, &PaceRequest::can(2, 13, "012345")), Err(PaceError::BadChipPoint("PK_map,PICC")));
    assert_eq!(t.chip.pace_attempts(), 1);
    // On the worked example: the published point with its last bit flipped.
    let mut chip = g1_chip();
    chip.inject(Fault::PaceBadMappingPoint);
    for apdu in [&g1::MSE_SET_AT[..], &g1::GA1] {
        assert_eq!(sw(&mut chip, apdu), 0x9000);
    }
    let mut expected = g1::GA2_ANSWER;
    expected[68] ^= 1;
    assert_eq!(raw(&mut chip, &g1::GA2), expected);
    assert!(!PaceCurve::BrainpoolP256r1.is_point(&expected[4..69]));
}

#[test]
fn fault_pace_token_wrong() {
    let mut t =
        Terminal::new(SoftwareChip::with_faults(Document::cccd_demo().unwrap(), [Fault::PaceTokenWrong.nth(1)]));
    assert_eq!(pace(&mut t, &PaceRequest::can(2, 13, "012345")), Err(PaceError::BadChipToken));
    assert!(t.chip.secure_messaging_active(), "the chip believes PACE succeeded");
    // Only the first run: the second is clean.
    pace(&mut t, &PaceRequest::can(2, 13, "012345")).unwrap();
    let mut chip = g1_chip();
    chip.inject(Fault::PaceTokenWrong);
    for apdu in [&g1::MSE_SET_AT[..], &g1::GA1, &g1::GA2, &g1::GA3] {
        assert_eq!(sw(&mut chip, apdu), 0x9000);
    }
    let mut expected = g1::GA4_ANSWER;
    expected[11] ^= 1;
    assert_eq!(raw(&mut chip, &g1::GA4), expected);
}

#[test]
fn fault_card_access_unreadable() {
    let mut t =
        Terminal::new(SoftwareChip::with_faults(Document::cccd_demo().unwrap(), [Fault::CardAccessUnreadable.into()]));
    assert_eq!(t.plain(&hex!("00A4020C02011C")).sw, 0x6982);
    assert_eq!(t.plain(&hex!("00B09C0004")).sw, 0x6982);
    assert_eq!(t.select_applet(), 0x9000);
    assert_eq!(t.plain(&hex!("00B09C0004")).sw, 0x6982);
    // PACE with known parameters and BAC both still work.
    pace(&mut t, &PaceRequest::can(2, 13, "012345")).unwrap();
    t.open();
}

// ------------------------------------------------ never panics

fn arbitrary_apdu() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        // GENERAL AUTHENTICATE with arbitrary data, chained or not.
        (prop::bool::ANY, prop::collection::vec(any::<u8>(), 0..200)).prop_map(|(chained, data)| {
            let mut v = vec![if chained { 0x10 } else { 0x00 }, 0x86, 0x00, 0x00, data.len() as u8];
            v.extend_from_slice(&data);
            v.push(0);
            v
        }),
        // GENERAL AUTHENTICATE with a well-formed 7C wrapper around arbitrary content.
        (0x80u8..0x88, prop::collection::vec(any::<u8>(), 0..120)).prop_map(|(tag, value)| {
            let inner = crate::protocol::tlv::tlv(u32::from(tag), &value);
            let data = crate::protocol::tlv::tlv(0x7C, &inner);
            let mut v = vec![0x10, 0x86, 0x00, 0x00, data.len() as u8];
            v.extend_from_slice(&data);
            v.push(0);
            v
        }),
        // MSE:Set AT with arbitrary data.
        prop::collection::vec(any::<u8>(), 0..60).prop_map(|data| {
            let mut v = vec![0x00, 0x22, 0xC1, 0xA4, data.len() as u8];
            v.extend_from_slice(&data);
            v
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// From every stage of a PACE run, arbitrary APDUs get an answer with a
    /// status word, never a panic.
    #[test]
    fn arbitrary_apdus_during_pace_never_panic(stage in 0usize..5, apdus in prop::collection::vec(arbitrary_apdu(), 1..12)) {
        let mut chip = g1_chip();
        for apdu in [&g1::MSE_SET_AT[..], &g1::GA1, &g1::GA2, &g1::GA3].iter().take(stage) {
            prop_assert_eq!(sw(&mut chip, apdu), 0x9000);
        }
        for apdu in &apdus {
            let answer = chip.transceive(apdu).unwrap();
            prop_assert!(answer.len() >= 2);
        }
    }
}
