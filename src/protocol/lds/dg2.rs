//! DG2, the encoded face (ICAO 9303-10 §4.7.2): a CBEFF biometric information
//! template group (ISO/IEC 19785-1, ICAO 9303-10 Tables 39–41) holding ISO/IEC
//! 19794-5:2005 facial records.
//!
//! ```text
//! DG2 ::= 75 {
//!   7F61 {                            biometric information group template
//!     02 01 n                         number of instances
//!     7F60 {                          biometric information template (n times)
//!       A1 {                          biometric header template (BHT; A2..AF accepted too)
//!         80 ICAO header version, 81 biometric type, 82 subtype, 83 creation date,
//!         85 validity period, 86 creator, 87 format owner, 88 format type   (all skipped)
//!       }
//!       5F2E | 7F2E <biometric data block = one ISO/IEC 19794-5 facial record>
//!     }
//!   }
//! }
//!
//! Facial record (ISO/IEC 19794-5:2005 §5.4–§5.8), big-endian:
//!   "FAC\0" (4) | version "010\0" (4) | record length (4) | number of faces (2)
//!   then per face, a facial record data block:
//!     block length (4)  -- the whole block, this field included
//!     number of feature points (2) | gender (1) | eye colour (1) | hair colour (1)
//!     feature mask (3) | expression (2) | pose angles (3) | pose angle uncertainty (3)
//!     feature points: 8 bytes each (type 1, code 1, x 2, y 2, reserved 2)
//!     image information: face image type (1) | image data type (1: 0 JPEG, 1 JPEG 2000)
//!       | width (2) | height (2) | colour space (1) | source type (1)
//!       | device type (2) | quality (2)
//!     image data: block length − 20 − 8 × feature points − 12 bytes
//! ```
//!
//! What this parser decides:
//! - Structure is checked strictly: every TLV lies inside its parent, the
//!   facial record's magic and version are checked, and the image length
//!   computed from the block length must fit the data present. Nothing is
//!   allocated from a wire length; the image is copied from the input slice.
//! - Leniency where chips differ harmlessly: the instance count `02 01 n` is
//!   not required to match the number of templates, the facial record's
//!   "record length" is not required to equal the data block length (the
//!   block lengths define where each image lies), and the header template's
//!   contents are not interpreted. `7F2E` is read like `5F2E` (if it holds an
//!   enciphered block the magic check fails).
//! - The portrait is the first face, in template order, whose image is not
//!   empty. A DG2 with no image at all (image length 0, no data block, zero
//!   faces) parses to `Ok(None)` (ICAO conformity tests ISO7816_C_08, LDS_C_28).
//! - The image type comes from the image's own magic bytes when they identify
//!   JPEG (`FF D8 FF`) or JPEG 2000 (`00 00 00 0C 6A 50 20 20` JP2 signature
//!   box, or `FF 4F FF 51` raw codestream); the header's image data type is
//!   used only when the magic is unknown. The magic is what any consumer will
//!   act on, so it wins when the two disagree. An image that neither the
//!   magic nor the header identifies is malformed.
//! - The image is passed on as the chip holds it; it is never decoded here
//!   (crafted JPEG 2000 images have crashed decoders in other readers).

use core::fmt;

use zeroize::Zeroizing;

use crate::protocol::error::Malformed;
use crate::protocol::tlv::{Reader, Tlv, children, expect_tlv, single_tlv};

/// The largest DG2 we parse: 256 KiB. Passport portraits are 15–20 KB and
/// ISO/IEC 19794-5 records for ID cards seldom exceed 100 KB; the cap bounds
/// the memory a hostile chip can make us hold. The file reader's per-file
/// limit should be no larger than this.
pub const MAX_DG2_SIZE: usize = 256 * 1024;
/// The most biometric information templates (`7F60`) we accept in one DG2.
pub const MAX_BIOMETRIC_TEMPLATES: usize = 8;
/// The most faces we accept in one facial record.
pub const MAX_FACES: u16 = 8;

/// Outer tag of DG2.
pub const TAG_DG2: u32 = 0x75;
/// Biometric information group template.
pub const TAG_BIT_GROUP: u32 = 0x7F61;
/// Biometric information template.
pub const TAG_BIT: u32 = 0x7F60;
/// Biometric header template.
pub const TAG_BHT: u32 = 0xA1;
/// The last tag accepted for the biometric header template (ISO/IEC 7816-11 numbers
/// BHTs `A1`, `A2`, ...; ICAO 9303-10 uses `A1`).
pub const TAG_BHT_LAST: u32 = 0xAF;
/// Biometric data block (primitive).
pub const TAG_BDB: u32 = 0x5F2E;
/// Biometric data block (constructed form / enciphered).
pub const TAG_BDB_CONSTRUCTED: u32 = 0x7F2E;
/// Number of instances.
pub const TAG_INTEGER: u32 = 0x02;

const FACIAL_MAGIC: &[u8; 4] = b"FAC\0";
const FACIAL_VERSION_2005: &[u8; 4] = b"010\0";
/// Bytes of the facial information block, block length field included.
const FACIAL_INFO_LEN: usize = 20;
/// Bytes of one feature point.
const FEATURE_POINT_LEN: usize = 8;
/// Bytes of the image information block.
const IMAGE_INFO_LEN: usize = 12;

const WHAT: &str = "DG2";

/// The encoding of a portrait image.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageType {
    /// JPEG (ISO/IEC 10918), image data type 0.
    Jpeg,
    /// JPEG 2000 (ISO/IEC 15444), image data type 1: a JP2 file or a raw codestream.
    Jpeg2000,
}

impl ImageType {
    /// The MIME type used in the API (`image/jpeg`, `image/jp2`).
    pub fn mime_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Jpeg2000 => "image/jp2",
        }
    }

    /// The type the image's magic bytes identify, if any.
    pub fn sniff(image: &[u8]) -> Option<Self> {
        const JPEG: &[u8] = &[0xFF, 0xD8, 0xFF];
        const JP2_SIGNATURE_BOX: &[u8] = &[0x00, 0x00, 0x00, 0x0C, 0x6A, 0x50, 0x20, 0x20];
        const J2K_CODESTREAM: &[u8] = &[0xFF, 0x4F, 0xFF, 0x51];
        if image.starts_with(JPEG) {
            Some(Self::Jpeg)
        } else if image.starts_with(JP2_SIGNATURE_BOX) || image.starts_with(J2K_CODESTREAM) {
            Some(Self::Jpeg2000)
        } else {
            None
        }
    }

    /// The type named by an ISO/IEC 19794-5 image data type code.
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Jpeg),
            1 => Some(Self::Jpeg2000),
            _ => None,
        }
    }
}

/// The face image from DG2. Personal data: zeroized on drop, never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Portrait {
    /// The image encoding (from the magic bytes where they are recognised).
    pub image_type: ImageType,
    /// Width in pixels, as the facial record header states it (0 if unstated).
    pub width: u16,
    /// Height in pixels, as the facial record header states it (0 if unstated).
    pub height: u16,
    /// The encoded image, exactly as the chip holds it.
    pub image: Zeroizing<Vec<u8>>,
}

/// The image, the only personal part, is [`Zeroizing`]: wiped when dropped.
impl zeroize::ZeroizeOnDrop for Portrait {}

impl fmt::Debug for Portrait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Portrait")
            .field("image_type", &self.image_type)
            .field("width", &self.width)
            .field("height", &self.height)
            .field("image", &format_args!("<redacted, {} bytes>", self.image.len()))
            .finish()
    }
}

/// Parses DG2 (grammar and decisions in the [module docs](self)).
///
/// `Ok(None)` means a well-formed DG2 holding no image.
pub fn parse(bytes: &[u8]) -> Result<Option<Portrait>, Malformed> {
    if bytes.len() > MAX_DG2_SIZE {
        return Err(Malformed::Invalid { what: WHAT, reason: "larger than MAX_DG2_SIZE" });
    }
    let outer = single_tlv(bytes, TAG_DG2, WHAT)?;
    let group = single_tlv(outer, TAG_BIT_GROUP, "DG2 biometric information group")?;
    let mut r = Reader::new(group);
    let count = expect_tlv(&mut r, TAG_INTEGER, "DG2 number of instances")?;
    if count.is_empty() || count.len() > 2 {
        return Err(Malformed::Invalid { what: "DG2 number of instances", reason: "not a small INTEGER" });
    }
    let mut found: Option<Face<'_>> = None;
    let mut templates = 0usize;
    while !r.is_empty() {
        let template = expect_tlv(&mut r, TAG_BIT, "DG2 biometric information template")?;
        templates += 1;
        if templates > MAX_BIOMETRIC_TEMPLATES {
            return Err(Malformed::Invalid { what: WHAT, reason: "more than MAX_BIOMETRIC_TEMPLATES templates" });
        }
        if let Some(face) = parse_template(template)?
            && found.is_none()
        {
            found = Some(face);
        }
    }
    let Some(face) = found else { return Ok(None) };
    let image_type = ImageType::sniff(face.image)
        .or_else(|| ImageType::from_code(face.image_data_type))
        .ok_or(Malformed::Invalid { what: "DG2 image", reason: "neither JPEG nor JPEG 2000" })?;
    Ok(Some(Portrait {
        image_type,
        width: face.width,
        height: face.height,
        image: Zeroizing::new(face.image.to_vec()),
    }))
}

/// One face image found in a facial record, borrowing the input.
struct Face<'a> {
    image_data_type: u8,
    width: u16,
    height: u16,
    image: &'a [u8],
}

/// A `7F60` template: `A1` header, then the data block (which may be missing).
/// Returns the first non-empty face image.
fn parse_template(template: &[u8]) -> Result<Option<Face<'_>>, Malformed> {
    let mut header_seen = false;
    let mut block: Option<&[u8]> = None;
    for child in children(template, "DG2 biometric information template") {
        let Tlv { tag, value } = child?;
        match tag {
            t if (TAG_BHT..=TAG_BHT_LAST).contains(&t) && !header_seen && block.is_none() => {
                // Check the header's TLV structure; its values are not used.
                for item in children(value, "DG2 biometric header template") {
                    item?;
                }
                header_seen = true;
            }
            TAG_BDB | TAG_BDB_CONSTRUCTED if header_seen && block.is_none() => block = Some(value),
            _ => {
                return Err(Malformed::Invalid {
                    what: "DG2 biometric information template",
                    reason: "expected one A1 header then at most one 5F2E/7F2E data block",
                });
            }
        }
    }
    if !header_seen {
        return Err(Malformed::Invalid { what: "DG2 biometric information template", reason: "no A1 header" });
    }
    match block {
        None | Some([]) => Ok(None),
        Some(block) => parse_facial_record(block),
    }
}

/// An ISO/IEC 19794-5:2005 facial record; returns its first non-empty image.
fn parse_facial_record(block: &[u8]) -> Result<Option<Face<'_>>, Malformed> {
    const REC: &str = "DG2 facial record";
    let mut r = Reader::new(block);
    if r.take(4) != Some(FACIAL_MAGIC.as_slice()) {
        return Err(Malformed::Invalid { what: REC, reason: "no FAC format identifier" });
    }
    if r.take(4).ok_or(Malformed::Truncated(REC))? != FACIAL_VERSION_2005.as_slice() {
        return Err(Malformed::Invalid { what: REC, reason: "version other than 010 (ISO/IEC 19794-5:2005)" });
    }
    let _record_length = r.u32_be().ok_or(Malformed::Truncated(REC))?;
    let faces = r.u16_be().ok_or(Malformed::Truncated(REC))?;
    if faces > MAX_FACES {
        return Err(Malformed::Invalid { what: REC, reason: "more than MAX_FACES faces" });
    }
    let mut first = None;
    for _ in 0..faces {
        let face = parse_face(&mut r)?;
        if first.is_none() && !face.image.is_empty() {
            first = Some(face);
        }
    }
    Ok(first)
}

/// One facial record data block (ISO/IEC 19794-5:2005 §5.5–§5.8).
fn parse_face<'a>(r: &mut Reader<'a>) -> Result<Face<'a>, Malformed> {
    const FACE: &str = "DG2 facial record data";
    let block_len = r.u32_be().ok_or(Malformed::Truncated(FACE))?;
    let block_len = usize::try_from(block_len).map_err(|_| Malformed::Overrun(FACE))?;
    // The block length counts its own four bytes, which are already read.
    let body_len = block_len
        .checked_sub(4)
        .ok_or(Malformed::Invalid { what: FACE, reason: "block length shorter than its header" })?;
    let body = r.take(body_len).ok_or(Malformed::Overrun(FACE))?;
    let mut b = Reader::new(body);
    let feature_points = b.u16_be().ok_or(Malformed::Truncated(FACE))?;
    // gender, eye colour, hair colour, feature mask (3), expression (2), pose (3), uncertainty (3)
    b.take(FACIAL_INFO_LEN - 6).ok_or(Malformed::Truncated(FACE))?;
    let points_len = usize::from(feature_points) * FEATURE_POINT_LEN;
    b.take(points_len).ok_or(Malformed::Truncated(FACE))?;
    let info = b.take(IMAGE_INFO_LEN).ok_or(Malformed::Truncated(FACE))?;
    let mut i = Reader::new(info);
    let _face_image_type = i.u8().ok_or(Malformed::Truncated(FACE))?;
    let image_data_type = i.u8().ok_or(Malformed::Truncated(FACE))?;
    let width = i.u16_be().ok_or(Malformed::Truncated(FACE))?;
    let height = i.u16_be().ok_or(Malformed::Truncated(FACE))?;
    // colour space, source type, device type, quality: not used.
    Ok(Face { image_data_type, width, height, image: b.rest() })
}

/// Builders of DG2 files, for tests and the software chip's test assets.
#[cfg(test)]
pub(crate) mod build {
    use crate::protocol::tlv::tlv;

    /// An ISO/IEC 19794-5:2005 facial record with one face.
    pub fn facial_record(image_data_type: u8, width: u16, height: u16, feature_points: u16, image: &[u8]) -> Vec<u8> {
        let mut face = Vec::new();
        face.extend(feature_points.to_be_bytes());
        face.extend([1, 1, 1]); // gender male, eye colour black, hair colour bald
        face.extend([0, 0, 1]); // feature mask: features specified
        face.extend([0, 1]); // expression neutral
        face.extend([0, 0, 0, 0, 0, 0]); // pose, uncertainty
        for p in 0..feature_points {
            face.extend([1, 0x11, 0, p as u8, 0, p as u8, 0, 0]);
        }
        face.extend([1, image_data_type]); // full frontal
        face.extend(width.to_be_bytes());
        face.extend(height.to_be_bytes());
        face.extend([1, 2, 0, 0, 0, 0]); // sRGB, digital camera, device, quality
        face.extend(image);
        let block_len = (face.len() + 4) as u32;
        let mut rec = b"FAC\x00010\0".to_vec();
        rec.extend((14 + block_len).to_be_bytes());
        rec.extend(1u16.to_be_bytes());
        rec.extend(block_len.to_be_bytes());
        rec.extend(face);
        rec
    }

    /// A DG2 with one biometric template holding `record` (or no data block if `None`).
    pub fn dg2(record: Option<&[u8]>) -> Vec<u8> {
        let header = [tlv(0x80, &[1, 1]), tlv(0x81, &[2]), tlv(0x87, &[1, 1]), tlv(0x88, &[0, 8])].concat();
        let mut bit = tlv(0xA1, &header);
        if let Some(record) = record {
            bit.extend(tlv(0x5F2E, record));
        }
        let mut group = tlv(0x02, &[1]);
        group.extend(tlv(0x7F60, &bit));
        tlv(0x75, &tlv(0x7F61, &group))
    }

    /// A small byte string with a JPEG header and trailer (not a decodable image).
    pub fn fake_jpeg(len: usize) -> Vec<u8> {
        let mut img = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0];
        img.extend((0..len.saturating_sub(13)).map(|i| i as u8));
        img.extend([0xFF, 0xD9]);
        img
    }
}

#[cfg(test)]
mod tests {
    use super::build::*;
    use super::*;
    use crate::protocol::tlv::tlv;
    use proptest::prelude::*;

    #[test]
    fn parses_a_jpeg_portrait() {
        let img = fake_jpeg(500);
        let p = parse(&dg2(Some(&facial_record(0, 480, 640, 0, &img)))).unwrap().unwrap();
        assert_eq!(p.image_type, ImageType::Jpeg);
        assert_eq!(p.image_type.mime_type(), "image/jpeg");
        assert_eq!((p.width, p.height), (480, 640));
        assert_eq!(&p.image[..], &img[..]);
    }

    #[test]
    fn feature_points_are_skipped() {
        let img = fake_jpeg(100);
        let p = parse(&dg2(Some(&facial_record(0, 1, 2, 3, &img)))).unwrap().unwrap();
        assert_eq!(&p.image[..], &img[..]);
        assert_eq!((p.width, p.height), (1, 2));
    }

    #[test]
    fn jpeg2000_both_forms_and_magic_wins() {
        let jp2 = [&[0, 0, 0, 0x0C, 0x6A, 0x50, 0x20, 0x20, 0x0D, 0x0A, 0x87, 0x0A][..], &[7; 40]].concat();
        let p = parse(&dg2(Some(&facial_record(1, 10, 20, 0, &jp2)))).unwrap().unwrap();
        assert_eq!(p.image_type, ImageType::Jpeg2000);
        assert_eq!(p.image_type.mime_type(), "image/jp2");
        let j2k = [&[0xFF, 0x4F, 0xFF, 0x51][..], &[7; 40]].concat();
        // Header says JPEG (0), magic says JPEG 2000: the magic wins.
        let p = parse(&dg2(Some(&facial_record(0, 10, 20, 0, &j2k)))).unwrap().unwrap();
        assert_eq!(p.image_type, ImageType::Jpeg2000);
        // Header says JPEG 2000, magic says JPEG.
        let p = parse(&dg2(Some(&facial_record(1, 10, 20, 0, &fake_jpeg(40))))).unwrap().unwrap();
        assert_eq!(p.image_type, ImageType::Jpeg);
        // Unknown magic: the header decides; unknown both: malformed.
        let p = parse(&dg2(Some(&facial_record(1, 10, 20, 0, &[1, 2, 3])))).unwrap().unwrap();
        assert_eq!(p.image_type, ImageType::Jpeg2000);
        assert!(matches!(
            parse(&dg2(Some(&facial_record(9, 10, 20, 0, &[1, 2, 3])))),
            Err(Malformed::Invalid { what: "DG2 image", .. })
        ));
    }

    /// HOSTILE 13 (ISO7816_C_08, LDS_C_28): image size 0 or no 5F2E → no portrait.
    #[test]
    fn hostile_13_no_image_is_none() {
        assert_eq!(parse(&dg2(Some(&facial_record(0, 480, 640, 0, &[])))), Ok(None));
        assert_eq!(parse(&dg2(None)), Ok(None));
        assert_eq!(parse(&dg2(Some(&[]))), Ok(None));
        let mut zero_faces = b"FAC\x00010\0".to_vec();
        zero_faces.extend([0, 0, 0, 14, 0, 0]);
        assert_eq!(parse(&dg2(Some(&zero_faces))), Ok(None));
    }

    #[test]
    fn debug_is_redacted() {
        let p = parse(&dg2(Some(&facial_record(0, 4, 5, 0, &fake_jpeg(64))))).unwrap().unwrap();
        let s = format!("{p:?}");
        assert!(s.contains("redacted, 64 bytes"), "{s}");
        assert!(!s.contains("255"), "{s}");
    }

    #[test]
    fn facial_record_errors() {
        let good = facial_record(0, 4, 5, 0, &fake_jpeg(64));
        let mut bad_magic = good.clone();
        bad_magic[0] = b'X';
        assert!(matches!(parse(&dg2(Some(&bad_magic))), Err(Malformed::Invalid { .. })));
        let mut v2011 = good.clone();
        v2011[4..8].copy_from_slice(b"030\0");
        assert!(matches!(parse(&dg2(Some(&v2011))), Err(Malformed::Invalid { .. })));
        // Block length one more than the data present.
        let mut long_block = good.clone();
        long_block[17] += 1;
        assert_eq!(parse(&dg2(Some(&long_block))), Err(Malformed::Overrun("DG2 facial record data")));
        // Block length 0xFFFFFFFF: an overrun, no allocation.
        let mut huge = good.clone();
        huge[14..18].copy_from_slice(&[0xFF; 4]);
        assert_eq!(parse(&dg2(Some(&huge))), Err(Malformed::Overrun("DG2 facial record data")));
        // Block length smaller than the fixed blocks.
        let mut short = good.clone();
        short[14..18].copy_from_slice(&[0, 0, 0, 10]);
        assert!(parse(&dg2(Some(&short))).is_err());
        // Feature point count claiming more points than there are bytes.
        let mut points = good.clone();
        points[18..20].copy_from_slice(&[0xFF, 0xFF]);
        assert_eq!(parse(&dg2(Some(&points))), Err(Malformed::Truncated("DG2 facial record data")));
        // Too many faces.
        let mut faces = good;
        faces[12..14].copy_from_slice(&[0, 9]);
        assert!(matches!(parse(&dg2(Some(&faces))), Err(Malformed::Invalid { .. })));
    }

    /// HOSTILE 5: a nested TLV longer than its parent.
    #[test]
    fn hostile_5_child_longer_than_parent() {
        let good = dg2(Some(&facial_record(0, 4, 5, 0, &fake_jpeg(64))));
        // 75 81 xx 7F61 81 yy: bump the 7F61 length by one.
        assert_eq!(&good[..2], &[0x75, 0x81]);
        let mut bad = good.clone();
        assert_eq!(&bad[3..6], &[0x7F, 0x61, 0x81]);
        bad[6] += 1;
        assert_eq!(parse(&bad), Err(Malformed::Overrun("DG2 biometric information group")));
        // Outer length one too big / too small.
        let mut big = good.clone();
        big[2] += 1;
        assert_eq!(parse(&big), Err(Malformed::Overrun("DG2")));
        let mut small = good;
        small[2] -= 1;
        assert!(parse(&small).is_err());
    }

    #[test]
    fn structure_errors() {
        assert!(matches!(parse(&tlv(0x61, &[])), Err(Malformed::UnexpectedTag { found: 0x61, .. })));
        // No instance count.
        assert!(parse(&tlv(0x75, &tlv(0x7F61, &tlv(0x7F60, &tlv(0xA1, &[]))))).is_err());
        // Data block before header.
        let mut group = tlv(0x02, &[1]);
        group.extend(tlv(0x7F60, &[tlv(0x5F2E, &[]), tlv(0xA1, &[])].concat()));
        assert!(matches!(parse(&tlv(0x75, &tlv(0x7F61, &group))), Err(Malformed::Invalid { .. })));
        // Too many templates.
        let mut group = tlv(0x02, &[9]);
        for _ in 0..9 {
            group.extend(tlv(0x7F60, &tlv(0xA1, &[])));
        }
        assert!(matches!(parse(&tlv(0x75, &tlv(0x7F61, &group))), Err(Malformed::Invalid { .. })));
        // Over the size cap.
        let big = dg2(Some(&facial_record(0, 4, 5, 0, &fake_jpeg(MAX_DG2_SIZE))));
        assert!(matches!(parse(&big), Err(Malformed::Invalid { what: "DG2", .. })));
    }

    #[test]
    fn second_template_used_when_first_has_no_image() {
        let header = tlv(0xA1, &tlv(0x81, &[2]));
        let mut group = tlv(0x02, &[2]);
        group.extend(tlv(0x7F60, &header));
        let img = fake_jpeg(30);
        group.extend(tlv(0x7F60, &[header.clone(), tlv(0x7F2E, &facial_record(0, 7, 8, 0, &img))].concat()));
        let p = parse(&tlv(0x75, &tlv(0x7F61, &group))).unwrap().unwrap();
        assert_eq!(&p.image[..], &img[..]);
        assert_eq!(p.width, 7);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn never_panics_on_mutated_records(
            pos in 0usize..120, val in any::<u8>(), cut in 0usize..120,
        ) {
            let mut bytes = dg2(Some(&facial_record(0, 4, 5, 2, &fake_jpeg(40))));
            let len = bytes.len();
            if let Some(b) = bytes.get_mut(pos % len) { *b = val; }
            bytes.truncate(len - cut % len);
            let _ = parse(&bytes);
        }
    }
}
