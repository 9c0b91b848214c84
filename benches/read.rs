//! Read benchmark (issue 8): APDUs, bytes and CPU time of a full document read
//! with the in-process software chip, for mrtdd's read strategy and for the
//! JMRTD strategy (SELECT by FID, READ BINARY 8 bytes for the length, then
//! 223-byte chunks), plus a link model for real readers.
//!
//! Run with `cargo bench --bench read` (`MRTDD_BENCH_N=50` sets the number of
//! timed reads per case). Results go to stdout and `target/bench-read.txt`.
//!
//! Plain `std::time` and a small percentile helper instead of criterion: the
//! figures that matter here are counts (APDUs, bytes), and the CPU times are
//! coarse per-read totals, so a dependency-free binary is enough and keeps CI
//! (which only builds benches) fast.

use std::error::Error as StdError;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use mrtdd::chip::{Document, DocumentBuilder, SoftwareChip};
use mrtdd::protocol::Error;
use mrtdd::protocol::access::OsRng;
use mrtdd::protocol::access::bac::bac;
use mrtdd::protocol::access::pace::{PaceParams, Password, pace};
use mrtdd::protocol::apdu::{CommandApdu, StatusWord};
use mrtdd::protocol::crypto::ec::Curve;
use mrtdd::protocol::error::TransportError;
use mrtdd::protocol::lds::FileId;
use mrtdd::protocol::lds::card_access;
use mrtdd::protocol::lds::security_infos::{KeyAgreement, Mapping};
use mrtdd::protocol::mrz::Mrz;
use mrtdd::protocol::read::{Channel, NoHooks, PlainChip};
use mrtdd::protocol::session::{AccessKey, AccessMethod, ReadOptions, read_document};
use mrtdd::protocol::tlv;
use mrtdd::protocol::transceive::Transceive;

type BenchResult<T> = Result<T, Box<dyn StdError>>;

/// JMRTD's READ BINARY chunk (`DF`).
const JMRTD_CHUNK: usize = 0xDF;
/// JMRTD's first READ BINARY of a file: enough for the tag and length of its outer TLV.
const JMRTD_HEADER_READ: usize = 8;
/// Largest header (tag and three length bytes) of DO'53' around odd-INS READ BINARY data.
const DO53_HEADER_MAX: usize = 4;
/// Largest file the JMRTD driver accepts (a bench guard, not a protocol limit).
const MAX_FILE: usize = 1 << 20;
/// Largest offset of an even-INS READ BINARY (15 bits in P1-P2, ISO/IEC 7816-4 §11.3.3).
const MAX_EVEN_OFFSET: usize = 0x7FFF;
/// Link model: cost of one APDU round trip besides its bytes (reader, USB, chip processing).
const PER_APDU: Duration = Duration::from_millis(15);
/// Link model: the ISO/IEC 14443 bit rates modelled, in bit/s.
const RATES: [u64; 2] = [106_000, 424_000];
/// BSI TR-03135-1: EF.COM, EF.SOD, DG1 and DG2 within 7 s once the key is known.
const BUDGET: Duration = Duration::from_secs(7);

/// A transport that counts APDUs and bytes and times the chip.
struct Meter<'a> {
    chip: &'a mut SoftwareChip,
    apdus: usize,
    bytes: usize,
    chip_time: Duration,
}

impl Transceive for Meter<'_> {
    fn transceive(&mut self, command: &[u8]) -> Result<Vec<u8>, TransportError> {
        let start = Instant::now();
        let response = self.chip.transceive(command);
        self.chip_time += start.elapsed();
        self.apdus += 1;
        self.bytes += command.len() + response.as_ref().map_or(0, Vec::len);
        response
    }
}

/// What one read cost.
#[derive(Debug, Clone, Copy, Default)]
struct Cost {
    /// APDUs as counted by the software chip.
    apdus: usize,
    /// Command plus response bytes (APDU level; no ISO/IEC 14443 framing).
    bytes: usize,
    /// File bytes read.
    file_bytes: usize,
    /// Wall time of the whole read (single thread, in process: ~ CPU time).
    total: Duration,
    /// Of which inside the software chip.
    chip: Duration,
}

/// One timed mrtdd read of `doc`; also returns the files read and the access protocol.
fn mrtdd_read(doc: &Document, options: &ReadOptions) -> BenchResult<(Cost, Vec<FileId>, AccessMethod)> {
    let key = AccessKey::Mrz(Mrz::parse(doc.mrz())?.bac_key());
    let mut chip = SoftwareChip::new(doc.clone());
    let before = chip.apdu_count();
    let mut meter = Meter { chip: &mut chip, apdus: 0, bytes: 0, chip_time: Duration::ZERO };
    let start = Instant::now();
    let read = read_document(&mut meter, &key, options, &mut NoHooks)?;
    let total = start.elapsed();
    let (bytes, chip_time) = (meter.bytes, meter.chip_time);
    let files: Vec<FileId> = read.files.iter().map(|(f, _)| *f).collect();
    let file_bytes = read.files.iter().map(|(_, b)| b.len()).sum();
    let cost = Cost { apdus: chip.apdu_count() - before, bytes, file_bytes, total, chip: chip_time };
    Ok((cost, files, read.access.method))
}

/// The first PACEInfo usable by mrtdd's terminal (version 2, Generic Mapping,
/// ECDH, a standardized curve) — the same choice as the real read makes.
fn pace_params(card_access_bytes: &[u8]) -> Option<PaceParams> {
    let ca = card_access::parse(card_access_bytes).ok()?;
    let infos = ca.pace_infos();
    let ambiguous = infos.len() > 1;
    infos.into_iter().find_map(|info| {
        if info.version != 2
            || info.protocol.mapping != Mapping::Generic
            || info.protocol.agreement != KeyAgreement::Ecdh
        {
            return None;
        }
        let curve = info.parameter_id.and_then(Curve::from_parameter_id)?;
        Some(PaceParams {
            protocol_oid: info.protocol.oid_bytes().to_vec(),
            cipher: info.protocol.cipher.key_kind(),
            curve,
            parameter_id: if ambiguous { info.parameter_id } else { None },
        })
    })
}

/// READ BINARY of `len` bytes at `offset` of the current EF: even INS up to
/// offset 7FFF, odd INS (offset in DO'54', data in DO'53', ISO/IEC 7816-4 §11.3.3) beyond.
fn read_binary<C: Channel>(c: &mut C, offset: usize, len: usize) -> BenchResult<Vec<u8>> {
    if offset <= MAX_EVEN_OFFSET {
        let [hi, lo] = u16::try_from(offset)?.to_be_bytes();
        let r = c.exchange(CommandApdu::new(0x00, 0xB0, hi, lo).with_le(len))?.ok("READ BINARY")?;
        return Ok(r.data.clone());
    }
    let be = u32::try_from(offset)?.to_be_bytes();
    let significant: Vec<u8> = be.iter().copied().skip_while(|b| *b == 0).collect();
    let mut data = vec![0x54, u8::try_from(significant.len())?];
    data.extend_from_slice(&significant);
    // Le covers DO'53' with its header: ask for the data plus the largest header, capped at the
    // JMRTD chunk; the chip may then answer 6282 (end of file before Ne bytes, ISO/IEC 7816-4 §5.6).
    let le = JMRTD_CHUNK.min(len + DO53_HEADER_MAX);
    let r = c.exchange(CommandApdu::new(0x00, 0xB1, 0x00, 0x00).with_data(data).with_le(le))?;
    if !(r.sw.is_ok() || r.sw == StatusWord::END_OF_FILE) {
        return Err(format!("READ BINARY odd: {}", r.sw).into());
    }
    Ok(tlv::single_tlv(&r.data, 0x53, "DO'53'")?.to_vec())
}

/// Reads one file the JMRTD way: SELECT by FID, 8 bytes for the length, then 223-byte chunks.
fn jmrtd_file<C: Channel>(c: &mut C, fid: u16) -> BenchResult<Vec<u8>> {
    c.exchange(CommandApdu::new(0x00, 0xA4, 0x02, 0x0C).with_data(fid.to_be_bytes()))?.ok("SELECT EF")?;
    let mut data = read_binary(c, 0, JMRTD_HEADER_READ)?;
    let header = tlv::read_header(&data, "file header")?;
    let total = header.header_len + header.value_len;
    if total > MAX_FILE {
        return Err(format!("file {fid:04X} declares {total} bytes").into());
    }
    while data.len() < total {
        let chunk = read_binary(c, data.len(), JMRTD_CHUNK.min(total - data.len()))?;
        if chunk.is_empty() {
            return Err(format!("file {fid:04X}: empty chunk").into());
        }
        data.extend_from_slice(&chunk);
    }
    data.truncate(total);
    Ok(data)
}

/// The JMRTD strategy, driven from the terminal side on mrtdd's protocol pieces:
/// the same access control as the real read (PACE when EF.CardAccess offers it,
/// else BAC), then every file in `files`. No Chip or Active Authentication.
fn jmrtd_read(doc: &Document, files: &[FileId]) -> BenchResult<Cost> {
    let mut chip = SoftwareChip::new(doc.clone());
    let before = chip.apdu_count();
    let mut meter = Meter { chip: &mut chip, apdus: 0, bytes: 0, chip_time: Duration::ZERO };
    let start = Instant::now();
    let info = doc.mrz_information().as_bytes();
    let mut file_bytes = 0;
    let mut plain = PlainChip::new(&mut meter);
    let mut params = None;
    if files.contains(&FileId::CardAccess) {
        plain.select_master_file()?;
        let ca = jmrtd_file(&mut plain, FileId::CardAccess.fid())?;
        file_bytes += ca.len();
        params = pace_params(&ca);
    }
    let unavailable = Box::new(|_: &mut dyn Transceive| Err(Error::Unsupported("no re-authentication in the bench")));
    let mut secure = if let Some(p) = params {
        let channel = pace(plain.transport(), &p, Password::Mrz(info), &mut OsRng)?;
        let mut secure = plain.into_secure(channel, unavailable, true);
        secure.select_application()?;
        secure
    } else {
        plain.select_application()?;
        let channel = bac(plain.transport(), info, &mut OsRng)?;
        plain.into_secure(channel, unavailable, false)
    };
    for file in files.iter().filter(|f| **f != FileId::CardAccess) {
        file_bytes += jmrtd_file(&mut secure, file.fid())?.len();
    }
    drop(secure);
    let total = start.elapsed();
    let (bytes, chip_time) = (meter.bytes, meter.chip_time);
    Ok(Cost { apdus: chip.apdu_count() - before, bytes, file_bytes, total, chip: chip_time })
}

/// The `p`-th percentile (nearest rank) of sorted durations.
fn percentile(sorted: &[Duration], p: usize) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = (p * sorted.len()).div_ceil(100).clamp(1, sorted.len());
    sorted.get(rank - 1).copied().unwrap_or_default()
}

/// Mean, p50 and p95 of `samples`.
fn summary(samples: &mut [Duration]) -> (Duration, Duration, Duration) {
    samples.sort();
    let n = u32::try_from(samples.len().max(1)).unwrap_or(u32::MAX);
    let mean = samples.iter().sum::<Duration>() / n;
    (mean, percentile(samples, 50), percentile(samples, 95))
}

/// Predicted time on a real reader: 15 ms per APDU plus the bytes at `rate`.
fn link(cost: &Cost, rate: u64) -> (Duration, Duration) {
    let wire = Duration::from_micros(u64::try_from(cost.bytes).unwrap_or(u64::MAX) * 8 * 1_000_000 / rate);
    let apdus = PER_APDU * u32::try_from(cost.apdus).unwrap_or(u32::MAX);
    (apdus + wire, wire)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() -> BenchResult<()> {
    let n: usize = std::env::var("MRTDD_BENCH_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20).max(1);
    let cases: Vec<(&str, Document)> = vec![
        ("CCCD demo (Document::cccd_demo)", Document::cccd_demo()?),
        ("TD3 passport, ~20 KB DG2", DocumentBuilder::td3_specimen().large_dg2(20_000).build()?),
        ("TD3 passport, ~60 KB DG2 (odd-INS reads)", DocumentBuilder::td3_specimen().large_dg2(60_000).build()?),
    ];
    let default = ReadOptions::default();
    let mut extended = ReadOptions::default();
    extended.limits.extended_length = true;
    let files_only = ReadOptions { chip_authentication: false, active_authentication: false, ..ReadOptions::default() };
    let mut extended_files = files_only.clone();
    extended_files.limits.extended_length = true;
    let strategies: [(&str, &ReadOptions); 4] = [
        ("mrtdd short (default: CA + AA)", &default),
        ("mrtdd extended (CA + AA)", &extended),
        ("mrtdd short, no CA/AA", &files_only),
        ("mrtdd extended, no CA/AA", &extended_files),
    ];

    let mut out = String::new();
    writeln!(out, "mrtdd read benchmark — software chip in process, {n} timed reads per row")?;
    writeln!(out, "build: {}", if cfg!(debug_assertions) { "debug" } else { "release (bench profile)" })?;
    writeln!(
        out,
        "link model: {} ms per APDU + APDU bytes at 106/424 kbit/s; budget {} s (TR-03135-1)",
        PER_APDU.as_millis(),
        BUDGET.as_secs()
    )?;
    for (name, doc) in &cases {
        writeln!(out, "\n== {name}")?;
        let (_, files, method) = mrtdd_read(doc, &default)?;
        let names: Vec<&str> = files.iter().map(|f| f.name()).collect();
        writeln!(out, "access: {}; files: {}", method.as_str(), names.join(" "))?;
        writeln!(
            out,
            "{:<32} {:>6} {:>8} {:>8} | {:>9} {:>9} {:>9} {:>9} {:>8} | {:>9} {:>9} {:>9} {:>9}",
            "strategy",
            "APDUs",
            "bytes",
            "file B",
            "mean",
            "p50",
            "p95",
            "chip",
            "us/KB",
            "106 kb/s",
            "424 kb/s",
            "wire@106",
            "wire@424"
        )?;
        let mut rows: Vec<(String, Vec<Cost>)> = Vec::new();
        for (label, options) in &strategies {
            let mut costs = Vec::with_capacity(n);
            for _ in 0..n {
                costs.push(mrtdd_read(doc, options)?.0);
            }
            rows.push(((*label).to_owned(), costs));
        }
        let mut costs = Vec::with_capacity(n);
        for _ in 0..n {
            costs.push(jmrtd_read(doc, &files)?);
        }
        rows.push(("JMRTD strategy (short, no CA/AA)".to_owned(), costs));
        let mut apdus = Vec::new();
        for (label, costs) in &rows {
            let Some(first) = costs.first().copied() else { continue };
            let mut totals: Vec<Duration> = costs.iter().map(|c| c.total).collect();
            let (mean, p50, p95) = summary(&mut totals);
            let mut chips: Vec<Duration> = costs.iter().map(|c| c.chip).collect();
            let (chip_mean, _, _) = summary(&mut chips);
            let kb = first.file_bytes as f64 / 1024.0;
            let us_per_kb = if kb > 0.0 { mean.as_secs_f64() * 1e6 / kb } else { 0.0 };
            let (t106, w106) = link(&first, RATES[0]);
            let (t424, w424) = link(&first, RATES[1]);
            writeln!(
                out,
                "{:<32} {:>6} {:>8} {:>8} | {:>9} {:>9} {:>9} {:>9} {:>8.0} | {:>9} {:>9} {:>9} {:>9}",
                label,
                first.apdus,
                first.bytes,
                first.file_bytes,
                ms(mean),
                ms(p50),
                ms(p95),
                ms(chip_mean),
                us_per_kb,
                ms(t106),
                ms(t424),
                ms(w106),
                ms(w424)
            )?;
            apdus.push((label.clone(), first.apdus));
        }
        if let Some((_, jmrtd)) = apdus.last().cloned() {
            for (label, count) in apdus.iter().take(apdus.len().saturating_sub(1)) {
                writeln!(out, "ratio {label} / JMRTD: {count}/{jmrtd} = {:.2}", *count as f64 / jmrtd as f64)?;
            }
        }
    }
    writeln!(
        out,
        "\nchip = time inside SoftwareChip::transceive; mean - chip = mrtdd's own time (parsing, SM, PACE/BAC, CA/AA, PA)."
    )?;
    writeln!(out, "bytes = command + response APDU bytes (no ISO/IEC 14443 framing, CRC or frame waits).")?;
    writeln!(
        out,
        "Not measured here: time through a real pcscd + virtual reader, daemon memory, card_inserted latency."
    )?;
    print!("{out}");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&dir)?;
    std::fs::write(dir.join("bench-read.txt"), &out)?;
    Ok(())
}
