//! Tests of the elliptic-curve API against published vectors:
//!
//! - ICAO Doc 9303-11 Appendix G.1 (7th/8th edition), "PACE-ECDH-GM-AES-CBC-CMAC-128" on
//!   brainpoolP256r1 (the same example as BSI TR-SAC / TR-03110 worked example). The ICAO PDF is
//!   not in the reference library; the values were taken from two independent public test suites
//!   that transcribe it: RfidResearchGroup/proxmark3 `client/src/emrtd/emrtd_pacetest.c` and
//!   ZeroPass/dmrtd `test/pace_test_ecdh.dart` (which agree byte for byte).
//! - RFC 5903 §8.1–8.3 (ECDH on P-256, P-384, P-521).
//! - RFC 7027 Appendix A.1–A.3 (ECDH on brainpoolP256r1, P384r1, P512r1), as transcribed in
//!   pyca/cryptography `vectors/cryptography_vectors/asymmetric/ECDH/brainpool.txt`.

use super::*;
use crate::protocol::access::Rng;
use crate::protocol::error::Error;
use hex_literal::hex;
use proptest::prelude::*;

fn point(x: &[u8], y: &[u8]) -> Vec<u8> {
    let mut p = vec![0x04];
    p.extend_from_slice(x);
    p.extend_from_slice(y);
    p
}

/// Group orders n, big-endian (RFC 5639 §3.4/3.6/3.7; FIPS 186-4 D.1.2.3–5), used to build
/// out-of-range scalars.
fn order(curve: Curve) -> Vec<u8> {
    match curve {
        Curve::NistP256 => hex!("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551").to_vec(),
        Curve::BrainpoolP256r1 => hex!("A9FB57DBA1EEA9BC3E660A909D838D718C397AA3B561A6F7901E0E82974856A7").to_vec(),
        Curve::NistP384 => {
            hex!("FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFC7634D81F4372DDF581A0DB248B0A77AECEC196ACCC52973")
                .to_vec()
        }
        Curve::BrainpoolP384r1 => {
            hex!("8CB91E82A3386D280F5D6F7E50E641DF152F7109ED5456B31F166E6CAC0425A7CF3AB6AF6B7FC3103B883202E9046565")
                .to_vec()
        }
        Curve::BrainpoolP512r1 => hex!(
            "AADD9DB8DBE9C48B3FD4E6AE33C9FC07CB308DB3B3C9D20ED6639CCA70330870"
            "553E5C414CA92619418661197FAC10471DB1D381085DDADDB58796829CA90069"
        )
        .to_vec(),
        Curve::NistP521 => hex!(
            "01FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF"
            "FA51868783BF2F966B7FCC0148F709A5D03BB5C9B8899C47AEBB6FB71E91386409"
        )
        .to_vec(),
    }
}

/// Big-endian addition of two equal-length byte strings (no overflow expected).
fn be_add(a: &[u8], b: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; a.len()];
    let mut carry = 0u16;
    for i in (0..a.len()).rev() {
        let s = u16::from(a[i]) + u16::from(b[i]) + carry;
        out[i] = (s & 0xFF) as u8;
        carry = s >> 8;
    }
    assert_eq!(carry, 0);
    out
}

#[test]
fn parameter_ids_names_and_sizes() {
    for curve in Curve::ALL {
        assert_eq!(Curve::from_parameter_id(curve.parameter_id()), Some(curve));
        assert_eq!(curve.order_len(), curve.field_len());
        assert_eq!(curve.point_len(), 1 + 2 * curve.field_len());
        assert_eq!(order(curve).len(), curve.order_len());
    }
    let ids: Vec<u8> = Curve::ALL.iter().map(|c| c.parameter_id()).collect();
    assert_eq!(ids, [12, 13, 15, 16, 17, 18]);
    let lens: Vec<usize> = Curve::ALL.iter().map(|c| c.field_len()).collect();
    assert_eq!(lens, [32, 32, 48, 48, 64, 66]);
    for id in (0..=11).chain([14]).chain(19..=255) {
        assert_eq!(Curve::from_parameter_id(id), None, "id {id}");
    }
    assert_eq!(Curve::BrainpoolP256r1.name(), "brainpoolP256r1");
    assert_eq!(Curve::NistP521.to_string(), "NIST P-521");
}

#[test]
fn generators_match_the_standards() {
    // RFC 5639 §3.4 (brainpoolP256r1 G) and FIPS 186-4 D.1.2.3 (P-256 G).
    assert_eq!(
        Curve::BrainpoolP256r1.generator(),
        point(
            &hex!("8BD2AEB9CB7E57CB2C4B482FFC81B7AFB9DE27E1E3BD23C23A4453BD9ACE3262"),
            &hex!("547EF835C3DAC4FD97F8461A14611DC9C27745132DED8E545C1D54C72F046997")
        )
    );
    assert_eq!(
        Curve::NistP256.generator(),
        point(
            &hex!("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296"),
            &hex!("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
        )
    );
    // RFC 5639 §3.7 (brainpoolP512r1 G).
    assert_eq!(
        Curve::BrainpoolP512r1.generator(),
        point(
            &hex!(
                "81AEE4BDD82ED9645A21322E9C4C6A9385ED9F70B5D916C1B43B62EEF4D0098E"
                "FF3B1F78E2D0D48D50D1687B93B97D5F7C6D5047406A5E688B352209BCB9F822"
            ),
            &hex!(
                "7DDE385D566332ECC0EABFA9CF7822FDF209F70024A57B1AA000C55B881F8111"
                "B2DCDE494A5F485E5BCA4BD88A2763AED1CA2B2FA8F0540678CD1E0F3AD80892"
            )
        )
    );
    for curve in Curve::ALL {
        let g = curve.generator();
        assert_eq!(g.len(), curve.point_len());
        assert_eq!(curve.validate(&g), Ok(()));
        assert_eq!(curve.public_key(&[1]).unwrap(), g, "{curve}");
        // (n−1)·G = −G: same x, y' = p − y.
        let mut n_minus_1 = order(curve);
        *n_minus_1.last_mut().unwrap() -= 1;
        let minus_g = curve.public_key(&n_minus_1).unwrap();
        assert_eq!(minus_g[..1 + curve.field_len()], g[..1 + curve.field_len()]);
        assert_ne!(minus_g, g);
        assert_eq!(curve.add(&g, &minus_g), Err(EcError::IdentityPoint));
    }
}

/// ICAO 9303-11 Appendix G.1: PACE ECDH Generic Mapping on brainpoolP256r1 (parameter id 13).
mod icao_appendix_g1 {
    use super::*;

    const CURVE: Curve = Curve::BrainpoolP256r1;
    const NONCE_S: [u8; 16] = hex!("3F00C4D39D153F2B2A214A078D899B22");
    const SK_MAP_IFD: [u8; 32] = hex!("7F4EF07B9EA82FD78AD689B38D0BC78CF21F249D953BC46F4C6E19259C010F99");
    const PK_MAP_IFD: [u8; 65] = hex!(
        "04 7ACF3EFC982EC45565A4B155129EFBC74650DCBFA6362D896FC70262E0C2CC5E"
        "544552DCB6725218799115B55C9BAA6D9F6BC3A9618E70C25AF71777A9C4922D"
    );
    const SK_MAP_IC: [u8; 32] = hex!("498FF49756F2DC1587840041839A85982BE7761D14715FB091EFA7BCE9058560");
    const PK_MAP_IC: [u8; 65] = hex!(
        "04 824FBA91C9CBE26BEF53A0EBE7342A3BF178CEA9F45DE0B70AA601651FBA3F57"
        "30D8C879AAA9C9F73991E61B58F4D52EB87A0A0C709A49DC63719363CCD13C54"
    );
    const SHARED_H: [u8; 65] = hex!(
        "04 60332EF2450B5D247EF6D3868397D398852ED6E8CAF6FFEEF6BF85CA57057FD5"
        "0840CA7415BAF3E43BD414D35AA4608B93A2CAF3A4E3EA4E82C9C13D03EB7181"
    );
    const MAPPED_G: [u8; 65] = hex!(
        "04 8CED63C91426D4F0EB1435E7CB1D74A46723A0AF21C89634F65A9AE87A9265E2"
        "8C879506743F8611AC33645C5B985C80B5F09A0B83407C1B6A4D857AE76FE522"
    );
    const SK_DH_IFD: [u8; 32] = hex!("A73FB703AC1436A18E0CFA5ABB3F7BEC7A070E7A6788486BEE230C4A22762595");
    const PK_DH_IFD: [u8; 65] = hex!(
        "04 2DB7A64C0355044EC9DF190514C625CBA2CEA48754887122F3A5EF0D5EDD301C"
        "3556F3B3B186DF10B857B58F6A7EB80F20BA5DC7BE1D43D9BF850149FBB36462"
    );
    const SK_DH_IC: [u8; 32] = hex!("107CF58696EF6155053340FD633392BA81909DF7B9706F226F32086C7AFF974A");
    const PK_DH_IC: [u8; 65] = hex!(
        "04 9E880F842905B8B3181F7AF7CAA9F0EFB743847F44A306D2D28C1D9EC65DF6DB"
        "7764B22277A2EDDC3C265A9F018F9CB852E111B768B326904B59A0193776F094"
    );
    const SHARED_K: [u8; 32] = hex!("28768D20701247DAE81804C9E780EDE582A9996DB4A315020B2733197DB84925");

    #[test]
    fn parameter_id_13_is_brainpool_p256r1() {
        assert_eq!(Curve::from_parameter_id(13), Some(CURVE));
    }

    #[test]
    fn mapping_key_pairs() {
        assert_eq!(CURVE.public_key(&SK_MAP_IFD).unwrap(), PK_MAP_IFD);
        assert_eq!(CURVE.public_key(&SK_MAP_IC).unwrap(), PK_MAP_IC);
    }

    #[test]
    fn shared_secret_h_from_both_sides() {
        assert_eq!(&CURVE.mul(&PK_MAP_IC, &SK_MAP_IFD).unwrap()[..], SHARED_H);
        assert_eq!(&CURVE.mul(&PK_MAP_IFD, &SK_MAP_IC).unwrap()[..], SHARED_H);
    }

    #[test]
    fn mapped_generator() {
        assert_eq!(CURVE.map_generator(&NONCE_S, &SHARED_H).unwrap(), MAPPED_G);
        // The same with s as a 32-byte integer (leading zeros) and as s + n (reduced mod n).
        let mut wide = [0u8; 32];
        wide[16..].copy_from_slice(&NONCE_S);
        assert_eq!(CURVE.map_generator(&wide, &SHARED_H).unwrap(), MAPPED_G);
        let s_plus_n = be_add(&wide, &order(CURVE));
        assert_eq!(CURVE.map_generator(&s_plus_n, &SHARED_H).unwrap(), MAPPED_G);
        // G' = s·G + H by the other operations too.
        let s_g = CURVE.public_key(&NONCE_S).unwrap();
        assert_eq!(CURVE.add(&s_g, &SHARED_H).unwrap(), MAPPED_G);
    }

    #[test]
    fn ephemeral_key_pairs_on_the_mapped_generator() {
        assert_eq!(&CURVE.mul(&MAPPED_G, &SK_DH_IFD).unwrap()[..], PK_DH_IFD);
        assert_eq!(&CURVE.mul(&MAPPED_G, &SK_DH_IC).unwrap()[..], PK_DH_IC);
    }

    #[test]
    fn final_shared_secret_from_both_sides() {
        let terminal = CURVE.mul(&PK_DH_IC, &SK_DH_IFD).unwrap();
        let chip = CURVE.mul(&PK_DH_IFD, &SK_DH_IC).unwrap();
        assert_eq!(terminal, chip);
        assert_eq!(&CURVE.x_coordinate(&terminal).unwrap()[..], SHARED_K);
    }

    #[test]
    fn whole_terminal_side_from_the_secrets() {
        let h = CURVE.mul(&PK_MAP_IC, &SK_MAP_IFD).unwrap();
        let g_mapped = CURVE.map_generator(&NONCE_S, &h).unwrap();
        let pk_dh_ifd = CURVE.mul(&g_mapped, &SK_DH_IFD).unwrap();
        assert_eq!(&pk_dh_ifd[..], PK_DH_IFD);
        let k = CURVE.x_coordinate(&CURVE.mul(&PK_DH_IC, &SK_DH_IFD).unwrap()).unwrap();
        assert_eq!(&k[..], SHARED_K);
    }
}

/// One ECDH known-answer test: private keys, public keys, shared x-coordinate.
struct EcdhVector {
    curve: Curve,
    d_a: &'static [u8],
    q_a: Vec<u8>,
    d_b: &'static [u8],
    q_b: Vec<u8>,
    z: &'static [u8],
}

fn check_ecdh(v: &EcdhVector) {
    let c = v.curve;
    assert_eq!(c.public_key(v.d_a).unwrap(), v.q_a, "{c} qA");
    assert_eq!(c.public_key(v.d_b).unwrap(), v.q_b, "{c} qB");
    let ab = c.mul(&v.q_b, v.d_a).unwrap();
    let ba = c.mul(&v.q_a, v.d_b).unwrap();
    assert_eq!(ab, ba, "{c}");
    assert_eq!(&c.x_coordinate(&ab).unwrap()[..], v.z, "{c} Z");
}

#[test]
fn rfc5903_p256() {
    check_ecdh(&EcdhVector {
        curve: Curve::NistP256,
        d_a: &hex!("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433"),
        q_a: point(
            &hex!("DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"),
            &hex!("5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3"),
        ),
        d_b: &hex!("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53"),
        q_b: point(
            &hex!("D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"),
            &hex!("56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"),
        ),
        z: &hex!("D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"),
    });
}

#[test]
fn rfc5903_p384() {
    check_ecdh(&EcdhVector {
        curve: Curve::NistP384,
        d_a: &hex!("099F3C7034D4A2C699884D73A375A67F7624EF7C6B3C0F160647B67414DCE655E35B538041E649EE3FAEF896783AB194"),
        q_a: point(
            &hex!("667842D7D180AC2CDE6F74F37551F55755C7645C20EF73E31634FE72B4C55EE6DE3AC808ACB4BDB4C88732AEE95F41AA"),
            &hex!("9482ED1FC0EEB9CAFC4984625CCFC23F65032149E0E144ADA024181535A0F38EEB9FCFF3C2C947DAE69B4C634573A81C"),
        ),
        d_b: &hex!("41CB0779B4BDB85D47846725FBEC3C9430FAB46CC8DC5060855CC9BDA0AA2942E0308312916B8ED2960E4BD55A7448FC"),
        q_b: point(
            &hex!("E558DBEF53EECDE3D3FCCFC1AEA08A89A987475D12FD950D83CFA41732BC509D0D1AC43A0336DEF96FDA41D0774A3571"),
            &hex!("DCFBEC7AACF3196472169E838430367F66EEBE3C6E70C416DD5F0C68759DD1FFF83FA40142209DFF5EAAD96DB9E6386C"),
        ),
        z: &hex!("11187331C279962D93D604243FD592CB9D0A926F422E47187521287E7156C5C4D603135569B9E9D09CF5D4A270F59746"),
    });
}

#[test]
fn rfc5903_p521() {
    check_ecdh(&EcdhVector {
        curve: Curve::NistP521,
        d_a: &hex!(
            "0037ADE9319A89F4DABDB3EF411AACCCA5123C61ACAB57B5393DCE47608172A095AA85"
            "A30FE1C2952C6771D937BA9777F5957B2639BAB072462F68C27A57382D4A52"
        ),
        q_a: point(
            &hex!(
                "0015417E84DBF28C0AD3C278713349DC7DF153C897A1891BD98BAB4357C9ECBEE1E3BF"
                "42E00B8E380AEAE57C2D107564941885942AF5A7F4601723C4195D176CED3E"
            ),
            &hex!(
                "017CAE20B6641D2EEB695786D8C946146239D099E18E1D5A514C739D7CB4A10AD8A788"
                "015AC405D7799DC75E7B7D5B6CF2261A6A7F1507438BF01BEB6CA3926F9582"
            ),
        ),
        d_b: &hex!(
            "0145BA99A847AF43793FDD0E872E7CDFA16BE30FDC780F97BCCC3F078380201E9C677D"
            "600B343757A3BDBF2A3163E4C2F869CCA7458AA4A4EFFC311F5CB151685EB9"
        ),
        q_b: point(
            &hex!(
                "00D0B3975AC4B799F5BEA16D5E13E9AF971D5E9B984C9F39728B5E5739735A219B97C3"
                "56436ADC6E95BB0352F6BE64A6C2912D4EF2D0433CED2B6171640012D9460F"
            ),
            &hex!(
                "015C68226383956E3BD066E797B623C27CE0EAC2F551A10C2C724D9852077B87220B65"
                "36C5C408A1D2AEBB8E86D678AE49CB57091F4732296579AB44FCD17F0FC56A"
            ),
        ),
        z: &hex!(
            "01144C7D79AE6956BC8EDB8E7C787C4521CB086FA64407F97894E5E6B2D79B04D1427E"
            "73CA4BAA240A34786859810C06B3C715A3A8CC3151F2BEE417996D19F3DDEA"
        ),
    });
}

#[test]
fn rfc7027_brainpool_p256r1() {
    check_ecdh(&EcdhVector {
        curve: Curve::BrainpoolP256r1,
        d_a: &hex!("81DB1EE100150FF2EA338D708271BE38300CB54241D79950F77B063039804F1D"),
        q_a: point(
            &hex!("44106E913F92BC02A1705D9953A8414DB95E1AAA49E81D9E85F929A8E3100BE5"),
            &hex!("8AB4846F11CACCB73CE49CBDD120F5A900A69FD32C272223F789EF10EB089BDC"),
        ),
        d_b: &hex!("55E40BC41E37E3E2AD25C3C6654511FFA8474A91A0032087593852D3E7D76BD3"),
        q_b: point(
            &hex!("8D2D688C6CF93E1160AD04CC4429117DC2C41825E1E9FCA0ADDD34E6F1B39F7B"),
            &hex!("990C57520812BE512641E47034832106BC7D3E8DD0E4C7F1136D7006547CEC6A"),
        ),
        z: &hex!("89AFC39D41D3B327814B80940B042590F96556EC91E6AE7939BCE31F3A18BF2B"),
    });
}

#[test]
fn rfc7027_brainpool_p384r1() {
    check_ecdh(&EcdhVector {
        curve: Curve::BrainpoolP384r1,
        d_a: &hex!("1E20F5E048A5886F1F157C74E91BDE2B98C8B52D58E5003D57053FC4B0BD65D6F15EB5D1EE1610DF870795143627D042"),
        q_a: point(
            &hex!("68B665DD91C195800650CDD363C625F4E742E8134667B767B1B476793588F885AB698C852D4A6E77A252D6380FCAF068"),
            &hex!("55BC91A39C9EC01DEE36017B7D673A931236D2F1F5C83942D049E3FA20607493E0D038FF2FD30C2AB67D15C85F7FAA59"),
        ),
        d_b: &hex!("032640BC6003C59260F7250C3DB58CE647F98E1260ACCE4ACDA3DD869F74E01F8BA5E0324309DB6A9831497ABAC96670"),
        q_b: point(
            &hex!("4D44326F269A597A5B58BBA565DA5556ED7FD9A8A9EB76C25F46DB69D19DC8CE6AD18E404B15738B2086DF37E71D1EB4"),
            &hex!("62D692136DE56CBE93BF5FA3188EF58BC8A3A0EC6C1E151A21038A42E9185329B5B275903D192F8D4E1F32FE9CC78C48"),
        ),
        z: &hex!("0BD9D3A7EA0B3D519D09D8E48D0785FB744A6B355E6304BC51C229FBBCE239BBADF6403715C35D4FB2A5444F575D4F42"),
    });
}

#[test]
fn rfc7027_brainpool_p512r1() {
    check_ecdh(&EcdhVector {
        curve: Curve::BrainpoolP512r1,
        d_a: &hex!(
            "16302FF0DBBB5A8D733DAB7141C1B45ACBC8715939677F6A56850A38BD87BD59"
            "B09E80279609FF333EB9D4C061231FB26F92EEB04982A5F1D1764CAD57665422"
        ),
        q_a: point(
            &hex!(
                "0A420517E406AAC0ACDCE90FCD71487718D3B953EFD7FBEC5F7F27E28C614999"
                "9397E91E029E06457DB2D3E640668B392C2A7E737A7F0BF04436D11640FD09FD"
            ),
            &hex!(
                "72E6882E8DB28AAD36237CD25D580DB23783961C8DC52DFA2EC138AD472A0FCE"
                "F3887CF62B623B2A87DE5C588301EA3E5FC269B373B60724F5E82A6AD147FDE7"
            ),
        ),
        d_b: &hex!(
            "230E18E1BCC88A362FA54E4EA3902009292F7F8033624FD471B5D8ACE49D12CF"
            "ABBC19963DAB8E2F1EBA00BFFB29E4D72D13F2224562F405CB80503666B25429"
        ),
        q_b: point(
            &hex!(
                "9D45F66DE5D67E2E6DB6E93A59CE0BB48106097FF78A081DE781CDB31FCE8CCB"
                "AAEA8DD4320C4119F1E9CD437A2EAB3731FA9668AB268D871DEDA55A5473199F"
            ),
            &hex!(
                "2FDC313095BCDD5FB3A91636F07A959C8E86B5636A1E930E8396049CB481961D"
                "365CC11453A06C719835475B12CB52FC3C383BCE35E27EF194512B71876285FA"
            ),
        ),
        z: &hex!(
            "A7927098655F1F9976FA50A9D566865DC530331846381C87256BAF3226244B76"
            "D36403C024D7BBF0AA0803EAFF405D3D24F11A9B5C0BEF679FE1454B21C4CD1F"
        ),
    });
}

#[test]
fn rejects_bad_points() {
    for curve in Curve::ALL {
        let g = curve.generator();
        let fl = curve.field_len();
        // Off the curve: y + 1.
        let mut off = g.clone();
        *off.last_mut().unwrap() ^= 1;
        assert_eq!(curve.validate(&off), Err(EcError::InvalidPoint), "{curve}");
        assert_eq!(curve.mul(&off, &[1]).map(|_| ()), Err(EcError::InvalidPoint));
        assert_eq!(curve.add(&g, &off), Err(EcError::InvalidPoint));
        assert_eq!(curve.add(&off, &g), Err(EcError::InvalidPoint));
        assert_eq!(curve.map_generator(&[1], &off), Err(EcError::InvalidPoint));
        assert_eq!(curve.x_coordinate(&off).map(|_| ()), Err(EcError::InvalidPoint));
        // Identity: SEC1's 00, and 04 || 0 || 0 (not on any of these curves, b ≠ 0).
        assert_eq!(curve.validate(&[0x00]), Err(EcError::IdentityPoint));
        assert_eq!(curve.validate(&point(&vec![0; fl], &vec![0; fl])), Err(EcError::InvalidPoint));
        // Wrong lengths.
        assert_eq!(curve.validate(&[]), Err(EcError::InvalidPoint));
        assert_eq!(curve.validate(&[0x04]), Err(EcError::InvalidPoint));
        assert_eq!(curve.validate(&g[..g.len() - 1]), Err(EcError::InvalidPoint));
        let mut long = g.clone();
        long.push(0);
        assert_eq!(curve.validate(&long), Err(EcError::InvalidPoint));
        // Compressed (02/03 || x) and hybrid (06/07 || x || y) encodings.
        let x = &g[1..=fl];
        for tag in [0x02, 0x03] {
            let mut c = vec![tag];
            c.extend_from_slice(x);
            assert_eq!(curve.validate(&c), Err(EcError::InvalidPoint));
        }
        for tag in [0x06, 0x07] {
            let mut h = g.clone();
            h[0] = tag;
            assert_eq!(curve.validate(&h), Err(EcError::InvalidPoint));
        }
        // A coordinate of all ones is ≥ p on every curve.
        assert_eq!(curve.validate(&point(&vec![0xFF; fl], &g[1 + fl..])), Err(EcError::InvalidPoint));
    }
    // A point of another curve.
    let p256_g = Curve::NistP256.generator();
    assert_eq!(Curve::BrainpoolP256r1.validate(&p256_g), Err(EcError::InvalidPoint));
    assert_eq!(Curve::NistP384.validate(&p256_g), Err(EcError::InvalidPoint));
}

#[test]
fn rejects_bad_scalars() {
    for curve in Curve::ALL {
        let g = curve.generator();
        let n = order(curve);
        let zero = vec![0u8; curve.order_len()];
        let mut too_long = vec![0u8; curve.order_len() + 1];
        *too_long.last_mut().unwrap() = 1;
        let mut n_plus_1 = n.clone();
        *n_plus_1.last_mut().unwrap() += 1;
        let mut n_minus_1 = n.clone();
        *n_minus_1.last_mut().unwrap() -= 1;
        for bad in [&[][..], &[0], &zero, &n, &n_plus_1, &too_long, &[0xFF; 66][..curve.order_len()]] {
            assert_eq!(curve.public_key(bad), Err(EcError::InvalidScalar), "{curve} {}", hex::encode(bad));
            assert_eq!(curve.mul(&g, bad).map(|_| ()), Err(EcError::InvalidScalar));
        }
        assert!(curve.public_key(&n_minus_1).is_ok());
        // Nonces: empty, longer than the order, ≡ 0 mod n.
        assert_eq!(curve.map_generator(&[], &g), Err(EcError::InvalidScalar));
        assert_eq!(curve.map_generator(&too_long, &g), Err(EcError::InvalidScalar));
        assert_eq!(curve.map_generator(&[0; 16], &g), Err(EcError::InvalidScalar));
        assert_eq!(curve.map_generator(&n, &g), Err(EcError::InvalidScalar));
        // s = n − 1 and H = G: G' = −G + G is the identity.
        assert_eq!(curve.map_generator(&n_minus_1, &g), Err(EcError::IdentityPoint));
        // s = n + 1 ≡ 1: G' = G + G.
        assert_eq!(curve.map_generator(&n_plus_1, &g).unwrap(), curve.public_key(&[2]).unwrap());
    }
}

/// A deterministic source: a counter-seeded byte stream, or a fixed byte.
struct TestRng {
    state: u64,
    fixed: Option<u8>,
    fail: bool,
}

impl Rng for TestRng {
    fn fill(&mut self, buf: &mut [u8]) -> Result<(), Error> {
        if self.fail {
            return Err(Error::Unsupported("test: no randomness"));
        }
        for b in buf.iter_mut() {
            *b = match self.fixed {
                Some(v) => v,
                None => {
                    // xorshift64*
                    self.state ^= self.state >> 12;
                    self.state ^= self.state << 25;
                    self.state ^= self.state >> 27;
                    (self.state.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 56) as u8
                }
            };
        }
        Ok(())
    }
}

#[test]
fn random_scalars() {
    for curve in Curve::ALL {
        let mut rng =
            TestRng { state: 0x1234_5678_9ABC_DEF0 ^ u64::from(curve.parameter_id()), fixed: None, fail: false };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..8 {
            let k = curve.random_scalar(&mut rng).unwrap();
            assert_eq!(k.len(), curve.order_len());
            assert!(k[..] < order(curve)[..], "{curve}");
            assert!(k.iter().any(|&b| b != 0));
            assert!(curve.public_key(&k).is_ok());
            assert!(seen.insert(k.to_vec()));
        }
        // A source stuck on 00 (zero) or FF (≥ n after masking for all six curves) gives up.
        for fixed in [0x00, 0xFF] {
            let mut stuck = TestRng { state: 0, fixed: Some(fixed), fail: false };
            assert!(matches!(curve.random_scalar(&mut stuck), Err(EcError::Unsupported(_))), "{curve}");
        }
        let mut broken = TestRng { state: 0, fixed: None, fail: true };
        assert!(matches!(curve.random_scalar(&mut broken), Err(EcError::Unsupported(_))));
    }
    // Masking: P-521 scalars never have more than 521 bits.
    let mut rng = TestRng { state: 42, fixed: None, fail: false };
    for _ in 0..16 {
        let k = Curve::NistP521.random_scalar(&mut rng).unwrap();
        assert!(k[0] <= 1);
    }
}

fn curve_strategy() -> impl Strategy<Value = Curve> {
    prop::sample::select(Curve::ALL.to_vec())
}

/// A scalar below 2^254, hence below n on every curve (the smallest n, brainpoolP256r1's, is
/// > 2^255), so the sum of two is still a valid scalar; left-padded to order_len.
fn small_scalar(curve: Curve, raw: &[u8; 32]) -> Vec<u8> {
    let mut k = vec![0u8; curve.order_len() - 32];
    k.extend_from_slice(raw);
    let top = curve.order_len() - 32;
    k[top] &= 0x3F;
    if k.iter().all(|&b| b == 0) {
        *k.last_mut().unwrap() = 1;
    }
    k
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// k·G + k'·G == (k + k')·G, and ECDH commutes: k·(k'·G) == k'·(k·G).
    #[test]
    fn add_and_mul_are_consistent(curve in curve_strategy(), a in any::<[u8; 32]>(), b in any::<[u8; 32]>()) {
        let k = small_scalar(curve, &a);
        let k2 = small_scalar(curve, &b);
        let p = curve.public_key(&k).unwrap();
        let p2 = curve.public_key(&k2).unwrap();
        let sum = curve.public_key(&be_add(&k, &k2)).unwrap();
        prop_assert_eq!(curve.add(&p, &p2).unwrap(), sum.clone());
        prop_assert_eq!(curve.add(&p2, &p).unwrap(), sum);
        prop_assert_eq!(curve.mul(&p, &k2).unwrap(), curve.mul(&p2, &k).unwrap());
        prop_assert_eq!(&curve.mul(&curve.generator(), &k).unwrap()[..], &p[..]);
        // G' = s·G + H for any nonce s.
        let s = &a[..16];
        if s.iter().any(|&byte| byte != 0) {
            let expected = curve.add(&curve.public_key(s).unwrap(), &p2);
            prop_assert_eq!(curve.map_generator(s, &p2), expected);
        }
    }

    /// Arbitrary bytes never panic, and anything accepted as a point is a valid point.
    #[test]
    fn arbitrary_input_never_panics(curve in curve_strategy(), p in prop::collection::vec(any::<u8>(), 0..140),
                                    q in prop::collection::vec(any::<u8>(), 0..140),
                                    k in prop::collection::vec(any::<u8>(), 0..70)) {
        let _ = curve.validate(&p);
        let _ = curve.x_coordinate(&p);
        let _ = curve.public_key(&k);
        let _ = curve.add(&p, &q);
        let _ = curve.map_generator(&k, &p);
        if let Ok(r) = curve.mul(&p, &k) {
            prop_assert_eq!(curve.validate(&r), Ok(()));
        }
        // With a valid point as base, any accepted scalar gives a valid point.
        if let Ok(r) = curve.mul(&curve.generator(), &k) {
            prop_assert_eq!(curve.validate(&r), Ok(()));
        }
        if let Ok(r) = curve.map_generator(&k, &curve.generator()) {
            prop_assert_eq!(curve.validate(&r), Ok(()));
        }
    }
}
