//! `mrtdd`: reads an eMRTD and prints the verified result.
//!
//! Until the daemon (HTTP API on a Unix socket) lands, this binary performs
//! one read: `--simulate` against the built-in software chip holding the demo
//! CCCD, or `--reader NAME` through pcscd. Personal data goes to standard
//! output only — the result the user asked for — never to the log (stderr).

use clap::Parser;
use mrtdd::protocol::mrz::{self, BacKey, Mrz};
use mrtdd::protocol::read::NoHooks;
use mrtdd::protocol::session::{AccessKey, DocumentRead, ReadOptions, read_document};
use std::process::ExitCode;
use std::time::Instant;

#[derive(Parser, Debug)]
#[command(version, about = "Read and verify an electronic identity document (ICAO 9303 eMRTD, Vietnamese CCCD)")]
struct Args {
    /// Use the built-in software reader holding the demo CCCD (no hardware needed).
    #[arg(long, conflicts_with = "reader")]
    simulate: bool,
    /// The PC/SC reader to use (default: the only reader holding a card).
    #[arg(long)]
    reader: Option<String>,
    /// The MRZ as printed, lines separated by `\n` (the key for BAC).
    #[arg(long, conflicts_with_all = ["doc", "dob", "doe"])]
    mrz: Option<String>,
    /// Document number (BAC key, with --dob and --doe).
    #[arg(long, requires_all = ["dob", "doe"])]
    doc: Option<String>,
    /// Date of birth, YYMMDD.
    #[arg(long)]
    dob: Option<String>,
    /// Date of expiry, YYMMDD.
    #[arg(long)]
    doe: Option<String>,
    /// The card access number (6 digits; PACE).
    #[arg(long, conflicts_with_all = ["mrz", "doc", "qr"])]
    can: Option<String>,
    /// The text of the QR code on the front of a Vietnamese CCCD.
    #[arg(long, conflicts_with_all = ["mrz", "doc", "can"])]
    qr: Option<String>,
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()))
        .init();
    let args = Args::parse();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("mrtdd: {message}");
            ExitCode::FAILURE
        }
    }
}

fn key_from_args(args: &Args) -> Result<Option<AccessKey>, String> {
    if let Some(text) = &args.mrz {
        let mrz = Mrz::parse(&text.replace("\\n", "\n")).map_err(|e| format!("--mrz: {e}"))?;
        return Ok(Some(AccessKey::Mrz(mrz.bac_key())));
    }
    if let (Some(doc), Some(dob), Some(doe)) = (&args.doc, &args.dob, &args.doe) {
        let key = BacKey::new(doc, dob, doe).map_err(|e| format!("--doc/--dob/--doe: {e}"))?;
        return Ok(Some(AccessKey::Mrz(key)));
    }
    if let Some(can) = &args.can {
        if can.len() != 6 || !can.bytes().all(|b| b.is_ascii_digit()) {
            return Err("--can: the card access number is 6 digits".into());
        }
        return Ok(Some(AccessKey::Can(zeroize::Zeroizing::new(can.clone()))));
    }
    if let Some(text) = &args.qr {
        let qr = mrtdd::protocol::cccd_qr::CccdQr::parse(text).map_err(|e| format!("--qr: {e}"))?;
        return Ok(Some(AccessKey::CccdQr(Box::new(qr))));
    }
    Ok(None)
}

fn run(args: &Args) -> Result<(), String> {
    let key = key_from_args(args)?;
    let started = Instant::now();
    if args.simulate {
        let document = mrtdd::chip::Document::cccd_demo().map_err(|e| e.to_string())?;
        let key = match key {
            Some(k) => k,
            None => AccessKey::Can(zeroize::Zeroizing::new(document.can().unwrap_or_default().to_owned())),
        };
        println!("Simulated reader with the demo CCCD. Its keys: CAN {}; MRZ:", document.can().unwrap_or("-"));
        for line in document.mrz().lines() {
            println!("    {line}");
        }
        let mut chip = mrtdd::chip::SoftwareChip::new(document);
        let read = read_document(&mut chip, &key, &ReadOptions::default(), &mut NoHooks).map_err(|e| e.to_string())?;
        print_read("software reader", &read, started);
        return Ok(());
    }
    let key = key.ok_or("give the key: --can, --qr, --mrz, or --doc with --dob and --doe (or --simulate)")?;
    let ctx = mrtdd::pcsc::establish().map_err(|e| e.to_string())?;
    let readers = mrtdd::pcsc::list_readers(&ctx).map_err(|e| e.to_string())?;
    let name = match &args.reader {
        Some(r) => r.clone(),
        None => {
            let with_card: Vec<_> = readers.iter().filter(|r| r.card_present).collect();
            match with_card.as_slice() {
                [one] => one.name.clone(),
                [] => return Err(format!("no reader holds a card ({} readers)", readers.len())),
                _ => return Err("several readers hold a card: choose one with --reader".into()),
            }
        }
    };
    let mut card = mrtdd::pcsc::connect(&ctx, &name).map_err(|e| e.to_string())?;
    let read =
        mrtdd::pcsc::with_transaction(&mut card, |t| read_document(t, &key, &ReadOptions::default(), &mut NoHooks))
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
    print_read(&name, &read, started);
    Ok(())
}

fn print_read(reader: &str, read: &DocumentRead, started: Instant) {
    let today = mrz::today_utc();
    println!("Reader: {reader}");
    println!(
        "Access: {} with the {}",
        read.access.method.as_str().to_uppercase(),
        read.access.key.as_str().to_uppercase()
    );
    if let Some(dg1) = &read.dg1 {
        let m = &dg1.mrz;
        println!("Document ({:?}): {} {} no. {}", m.format, m.document_code, m.issuing_state, m.document_number);
        println!("  Surname:        {}", m.surname);
        println!("  Given names:    {}", m.given_names);
        println!("  Nationality:    {}", m.nationality);
        println!("  Sex:            {}", m.sex);
        let dob = mrz::birth_date_iso(&m.date_of_birth, today).unwrap_or_else(|| m.date_of_birth.clone());
        let doe = mrz::expiry_date_iso(&m.date_of_expiry, today).unwrap_or_else(|| m.date_of_expiry.clone());
        println!("  Date of birth:  {dob}");
        println!("  Date of expiry: {doe}");
        if !dg1.check_digit_failures.is_empty() {
            println!("  Check digits failing: {}", dg1.check_digit_failures.join(", "));
        }
    }
    if let Some(c) = &read.cccd {
        let show = |label: &str, v: &Option<String>| println!("  {label:<26}{}", v.as_deref().unwrap_or("-"));
        println!("Vietnamese personal data (DG13):");
        show("ID number:", &c.id_number);
        show("Full name:", &c.full_name);
        show("Date of birth:", &c.date_of_birth);
        show("Sex:", &c.sex);
        show("Nationality:", &c.nationality);
        show("Ethnicity:", &c.ethnicity);
        show("Religion:", &c.religion);
        show("Place of origin:", &c.place_of_origin);
        show("Place of residence:", &c.place_of_residence);
        show("Identification features:", &c.personal_identification);
        show("Date of issue:", &c.date_of_issue);
        show("Date of expiry:", &c.date_of_expiry);
        show("Father:", &c.father_name);
        show("Mother:", &c.mother_name);
        show("Spouse:", &c.spouse_name);
        show("Old ID number:", &c.old_id_number);
    }
    match &read.portrait {
        Some(p) => println!("Portrait: {} {}x{}, {} bytes", p.image_type.mime_type(), p.width, p.height, p.image.len()),
        None => println!("Portrait: absent"),
    }
    println!("Data group hashes ({}):", read.sod.digest_algorithm.name());
    for (dg, check) in &read.hashes.data_groups {
        println!("  {dg}: {}", check.as_str());
    }
    for dg in &read.hashes.listed_but_not_read {
        println!("  {dg}: listed in EF.SOD but not on the chip");
    }
    for dg in &read.com_sod_mismatch {
        println!("  {dg}: EF.COM and EF.SOD disagree");
    }
    for f in &read.denied {
        println!("  {f}: not readable without Terminal Authentication");
    }
    for (f, e) in &read.parse_errors {
        println!("  {f}: does not parse ({e})");
    }
    let files: Vec<String> = read.files.iter().map(|(f, b)| format!("{}={}", f.name(), b.len())).collect();
    println!("Files read: {}", files.join(" "));
    println!(
        "Not verified yet: the EF.SOD signature and its certificate chain (passive authentication), chip authenticity."
    );
    println!(
        "Stats: {} APDUs, {} bytes, {} re-authentications, {} ms",
        read.stats.apdus,
        read.stats.bytes_read,
        read.stats.reauthentications,
        started.elapsed().as_millis()
    );
}
