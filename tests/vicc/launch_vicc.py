#!/usr/bin/python3
"""Run Debian's `vicc` ePass emulator as an independent BAC chip for mrtdd's
end-to-end tests.

vsmartcard's `vicc -t ePass` (python3-virtualsmartcard 3.3) implements the
chip side of ICAO 9303-11 BAC and 3DES secure messaging independently of
mrtdd, which makes it a useful oracle. As packaged it does not run, and it
cannot be given a document. This launcher:

* finds the package (installed outside `sys.path`, under
  /usr/lib/python3/site-packages/virtualsmartcard) and aliases the `Crypto`
  package it imports to Debian's `Cryptodome` (pycryptodome);
* patches, at run time and without touching the installed files, its
  Python 3 str/bytes defects (`TLVutils.pack`,
  `CryptoUtils.operation_on_string`, `Security_Environment.parse_SM_CAPDU`
  and `protect_response`) and its SSC defect (the send sequence counter must
  enter the MAC input as 8 bytes; vicc uses its minimal big-endian form, so
  one BAC session in 256 fails its first SM command with 6988);
* builds the file system from a directory of files (MF -> DF
  A0 00 00 02 47 10 01 -> EF.COM 011E/SFI 1E, EF.SOD 011D/SFI 1D,
  DGn 01nn/SFI n) and hands it to vicc's `PassportSAM`;
* sets the BAC keys from MRZ information it computes itself (from the DG1 of
  a TD1, TD2 or TD3 document, or from --mrz-info), because `PassportSAM`
  reads the MRZ at TD3 offsets only;
* connects to vpcd as the card side (a TCP client; every message is a 2-byte
  big-endian length and a payload) with TCP_QUICKACK re-armed around every
  receive, avoiding the ~40 ms Nagle/delayed-ACK stall per APDU.

Files in the directory are named by their 4-hex-digit FID, optionally with an
extension: `011E`, `011D.bin`, `0101.bin`, ... Other FIDs are skipped with a
note (vicc is BAC-only, so an EF.CardAccess would announce PACE it cannot do).

Prints `ready` on stdout once connected to vpcd; exits 0 on SIGTERM/SIGINT or
when vpcd closes the connection, non-zero on errors. Never prints the MRZ or
file contents (unless -v is given, which turns on vicc's own APDU logging).

Usage: /usr/bin/python3 launch_vicc.py --files DIR [--mrz-info STR]
                                       [--host localhost] [--port 35963] [-v]
"""

import argparse
import errno
import hashlib
import importlib
import importlib.abc
import importlib.util
import logging
import os
import re
import signal
import socket
import struct
import sys
import time

# --------------------------------------------------------------------------
# Finding the package and its crypto library
# --------------------------------------------------------------------------

#: Where Debian's python3-virtualsmartcard may put the `virtualsmartcard`
#: package (3.3 installs it one level down, outside sys.path).
PACKAGE_ROOTS = (
    "/usr/lib/python3/site-packages/virtualsmartcard",
    "/usr/lib/python3/site-packages",
    "/usr/lib/python3/dist-packages",
)


def add_package_to_path():
    """Put the directory holding virtualsmartcard/VirtualSmartcard.py on sys.path."""
    for root in PACKAGE_ROOTS:
        if os.path.isfile(os.path.join(root, "virtualsmartcard", "VirtualSmartcard.py")):
            if root not in sys.path:
                sys.path.insert(0, root)
            return root
    sys.exit("launch_vicc: python3-virtualsmartcard not found under %s" % ", ".join(PACKAGE_ROOTS))


class CryptoAlias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Serves `import Crypto.X` with Debian's `Cryptodome.X` (same API)."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname == "Crypto" or fullname.startswith("Crypto."):
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return importlib.import_module("Cryptodome" + spec.name[len("Crypto"):])

    def exec_module(self, module):
        pass  # already executed as Cryptodome.*


# --------------------------------------------------------------------------
# Run-time patches (the installed files are left untouched)
# --------------------------------------------------------------------------


def patch_vicc():
    """Fix the defects of vicc 3.3 on the BAC / secure messaging path."""
    from virtualsmartcard import CryptoUtils, SEutils, TLVutils
    from virtualsmartcard.cards import ePass
    from virtualsmartcard.ConstantDefinitions import MAX_EXTENDED_LE, SM_Class
    from virtualsmartcard.SWutils import SW, SwError
    from virtualsmartcard.utils import C_APDU, inttostring, stringtoint

    # 1. TLVutils.pack builds a bytes result, then ends with
    #    `b"".join(result)`, which iterates the bytes as ints: TypeError.
    #    Same BER-TLV encoding, returning the bytes. Rebound in every module
    #    that imported the name.
    original_pack = TLVutils.pack

    def pack(tlv_data, recalculate_length=False):
        result = b""
        for item in tlv_data:
            tag, length, value = item[:3]
            if tag in (0xFF, 0x00):  # filler bytes, as the original
                result += inttostring(tag)
                continue
            if not isinstance(value, bytes):
                value = pack(value, recalculate_length)
            if recalculate_length:
                length = len(value)
            tag_bytes = b""
            while tag > 0:
                tag_bytes = inttostring(tag & 0xFF) + tag_bytes
                tag >>= 8
            if length < 0x7F:
                length_bytes = inttostring(length)
            else:
                length_bytes = b""
                while length > 0:
                    length_bytes = inttostring(length & 0xFF) + length_bytes
                    length >>= 8
                length_bytes = inttostring(0x80 | len(length_bytes)) + length_bytes
            result += tag_bytes + length_bytes + value
        return result

    for name, module in list(sys.modules.items()):
        if name.startswith("virtualsmartcard") and getattr(module, "pack", None) is original_pack:
            module.pack = pack

    # 2. CryptoUtils.operation_on_string calls ord() on the ints of a bytes
    #    object (used for K_seed = K_ICC xor K_IFD in EXTERNAL AUTHENTICATE).
    def operation_on_string(string1, string2, op):
        if len(string1) != len(string2):
            raise ValueError("string1 and string2 must be of equal length")
        return bytes(op(a, b) & 0xFF for a, b in zip(string1, string2))

    CryptoUtils.operation_on_string = operation_on_string

    # 3. Security_Environment.parse_SM_CAPDU: starts from a list holding a
    #    str and joins it with "".join (TypeError with the bytes objects);
    #    calls stringtoint() on an int (value[0] of DO'87'); an
    #    unauthenticated header starts as "" and is concatenated with bytes.
    #    Same logic, bytes throughout.
    def parse_SM_CAPDU(self, CAPDU, authenticate_header):
        structure = TLVutils.unpack(CAPDU.data)
        return_data = [b""]
        cla = ins = p1 = p2 = le = None

        if authenticate_header:
            to_authenticate = (inttostring(CAPDU.cla) + inttostring(CAPDU.ins) +
                               inttostring(CAPDU.p1) + inttostring(CAPDU.p2))
            to_authenticate = CryptoUtils.append_padding(self.cct.blocklength, to_authenticate)
        else:
            to_authenticate = b""

        for tag, length, value in structure:
            if tag % 2 == 1:  # odd tags are included in the checksum
                to_authenticate += pack([[tag, length, value]])

            if tag in (SM_Class["PLAIN_VALUE_NO_TLV"], SM_Class["PLAIN_VALUE_NO_TLV_ODD"]):
                return_data.append(value)
            elif tag in (SM_Class["PLAIN_VALUE_TLV_INCULDING_SM"],
                         SM_Class["PLAIN_VALUE_TLV_INCULDING_SM_ODD"]):
                return_data.append(self.parse_SM_CAPDU(value, authenticate_header))
            elif tag in (SM_Class["PLAIN_VALUE_TLV_NO_SM"], SM_Class["PLAIN_VALUE_TLV_NO_SM_ODD"]):
                return_data.append(value)
            elif tag in (SM_Class["Ne"], SM_Class["Ne_ODD"]):
                le = value
            elif tag == SM_Class["PLAIN_COMMAND_HEADER"]:
                if len(value) != 4:
                    raise SwError(SW["ERR_SECMESSOBJECTSINCORRECT"])
                cla, ins, p1, p2 = value[0], value[1], value[2], value[3]

            if tag in (SM_Class["CRYPTOGRAM_PLAIN_TLV_INCLUDING_SM"],
                       SM_Class["CRYPTOGRAM_PLAIN_TLV_INCLUDING_SM_ODD"]):
                plain = self.decipher(tag, 0x80, value)
                return_data.append(self.parse_SM_CAPDU(plain, authenticate_header))
            elif tag in (SM_Class["CRYPTOGRAM_PLAIN_TLV_NO_SM"],
                         SM_Class["CRYPTOGRAM_PLAIN_TLV_NO_SM_ODD"]):
                return_data.append(self.decipher(tag, 0x80, value))
            elif tag in (SM_Class["CRYPTOGRAM_PADDING_INDICATOR"],
                         SM_Class["CRYPTOGRAM_PADDING_INDICATOR_ODD"]):
                padding_indicator = value[0]  # an int already
                plain = self.decipher(tag, 0x80, value[1:])
                plain = CryptoUtils.strip_padding(self.ct.blocklength, plain, padding_indicator)
                return_data.append(plain)

            if tag == SM_Class["CHECKSUM"]:
                auth = CryptoUtils.append_padding(self.cct.blocklength, to_authenticate)
                checksum = self.compute_cryptographic_checksum(0x8E, 0x80, auth)
                if checksum != value:
                    raise SwError(SW["ERR_SECMESSOBJECTSINCORRECT"])
            elif tag == SM_Class["DIGITAL_SIGNATURE"]:
                signature = self.compute_digital_signature(0x9E, 0x9A, to_authenticate)
                if signature != value:
                    raise SwError(SW["ERR_SECMESSOBJECTSINCORRECT"])
            elif tag in (SM_Class["HASH_CODE"], SM_Class["HASH_CODE_ODD"]):
                if self.hash(p1, p2, to_authenticate) != value:
                    raise SwError(SW["ERR_SECMESSOBJECTSINCORRECT"])

        cla = CAPDU.cla if cla is None else cla
        ins = CAPDU.ins if ins is None else ins
        p1 = CAPDU.p1 if p1 is None else p1
        p2 = CAPDU.p2 if p2 is None else p2
        if isinstance(le, bytes):
            le_int = stringtoint(le)
            if le_int == 0 and len(le) > 1:
                le_int = MAX_EXTENDED_LE
            le = le_int
        return C_APDU(cla=cla, ins=ins, p1=p1, p2=p2, le=le, data=b"".join(return_data))

    SEutils.Security_Environment.parse_SM_CAPDU = parse_SM_CAPDU

    # 4. Security_Environment.protect_response starts from "" and prefixes
    #    "\x01" (str) to the bytes cryptogram; `result != ""` is always true
    #    for bytes, so even an empty answer would get a DO'87'. Same logic,
    #    bytes throughout. (Its quirks are kept: no DO'99', and no MAC unless
    #    the status word is 9000.)
    def protect_response(self, sw, result):
        return_data = b""
        if result:
            encrypted = b"\x01" + self.encipher(0x82, 0x80, result)
            return_data += pack([(SM_Class["CRYPTOGRAM_PADDING_INDICATOR_ODD"], len(encrypted), encrypted)])
        if sw == SW["NORMAL"]:
            if self.cct.algorithm is None:
                raise SwError(SW["CONDITIONSNOTSATISFIED"])
            elif self.cct.algorithm == "CC":
                padded = CryptoUtils.append_padding(self.cct.blocklength, return_data)
                auth = self.compute_cryptographic_checksum(0x8E, 0x80, padded)
                return_data += pack([(SM_Class["CHECKSUM"], len(auth), auth)])
            elif self.cct.algorithm == "SIGNATURE":
                digest = self.hash(0x90, 0x80, return_data)
                auth = self.compute_digital_signature(0x9E, 0x9A, digest)
                return_data += pack([(SM_Class["DIGITAL_SIGNATURE"], len(auth), auth)])
        return sw, return_data

    SEutils.Security_Environment.protect_response = protect_response

    # 5. ePass_SE.compute_cryptographic_checksum passes the SSC to
    #    crypto_checksum, which prepends inttostring(ssc): its *minimal*
    #    big-endian form. ICAO 9303-11 §9.8.4 MACs the 8-byte SSC, so
    #    whenever the SSC's top byte is 0 (1 session in 256) the MAC is
    #    wrong. Prepend the 8-byte SSC here instead (modulo 2^64).
    def compute_cryptographic_checksum(self, p1, p2, data):
        if p1 != 0x8E or p2 != 0x80:
            raise SwError(SW["ERR_INCORRECTP1P2"])
        self.ssc = (self.ssc + 1) % (1 << 64)
        return CryptoUtils.crypto_checksum(self.cct.algorithm, self.cct.key,
                                           self.ssc.to_bytes(8, "big") + data, self.cct.iv, None)

    ePass.ePass_SE.compute_cryptographic_checksum = compute_cryptographic_checksum

    # Not a defect, a diagnostic: SAM.parse_SM_CAPDU turns *every* exception
    # into 6988; log the real cause when -v is given.
    from virtualsmartcard.SmartcardSAM import SAM
    original_sam_parse = SAM.parse_SM_CAPDU

    def sam_parse_SM_CAPDU(self, CAPDU, header_authentication):
        try:
            return self.current_SE.parse_SM_CAPDU(CAPDU, header_authentication)
        except Exception:
            logging.debug("SM command rejected", exc_info=True)
            return original_sam_parse(self, CAPDU, header_authentication)

    SAM.parse_SM_CAPDU = sam_parse_SM_CAPDU


# --------------------------------------------------------------------------
# The document: files and the BAC MRZ information
# --------------------------------------------------------------------------

#: The eMRTD application identifier (ICAO 9303-10 §3.6.2).
LDS1_AID = bytes.fromhex("A0000002471001")
#: FID of the application DF. PassportSAM looks DG1 up at the path 0004/0101.
APPLICATION_DF_FID = 0x0004
#: Largest file vicc can serve: offsets above 32767 need READ BINARY with
#: odd INS (B1), which vicc 3.3 gets wrong.
MAX_FILE_SIZE = 32767
#: File name pattern: 4 hex digits (the FID), optional extension.
FILE_NAME = re.compile(r"^([0-9A-Fa-f]{4})(\.[A-Za-z0-9]+)?$")


def sfi_of(fid):
    """Short file identifier of an LDS1 file (ICAO 9303-10 §4.6.1), or None."""
    if fid == 0x011E:
        return 0x1E  # EF.COM
    if fid == 0x011D:
        return 0x1D  # EF.SOD
    if 0x0101 <= fid <= 0x0110:
        return fid & 0xFF  # DG1..DG16
    return None


def load_files(directory):
    """Returns {fid: bytes} for the LDS1 application files in `directory`."""
    files = {}
    for entry in sorted(os.listdir(directory)):
        match = FILE_NAME.match(entry)
        if not match:
            continue
        fid = int(match.group(1), 16)
        if sfi_of(fid) is None:
            print("launch_vicc: skipping %04X: not an LDS1 application file (vicc is BAC-only)" % fid,
                  file=sys.stderr)
            continue
        with open(os.path.join(directory, entry), "rb") as f:
            data = f.read()
        if len(data) > MAX_FILE_SIZE:
            sys.exit("launch_vicc: %04X is %d bytes; vicc cannot serve files above %d bytes"
                     % (fid, len(data), MAX_FILE_SIZE))
        if fid in files:
            sys.exit("launch_vicc: two files for FID %04X" % fid)
        files[fid] = data
    if 0x0101 not in files:
        sys.exit("launch_vicc: no DG1 (0101) in %s" % directory)
    return files


def read_ber_length(data, pos):
    """(length, next position) of the BER length at data[pos]."""
    first = data[pos]
    if first < 0x80:
        return first, pos + 1
    count = first & 0x7F
    if count == 0 or count > 3:
        raise ValueError("unsupported BER length")
    return int.from_bytes(data[pos + 1:pos + 1 + count], "big"), pos + 1 + count


def mrz_from_dg1(dg1):
    """The MRZ characters of DG1: '61' L { '5F1F' L <mrz> } (ICAO 9303-10 §4.7.1)."""
    if len(dg1) < 2 or dg1[0] != 0x61:
        raise ValueError("DG1 does not start with tag 61")
    _, pos = read_ber_length(dg1, 1)
    if dg1[pos:pos + 2] != b"\x5f\x1f":
        raise ValueError("DG1 lacks the MRZ data object 5F1F")
    length, pos = read_ber_length(dg1, pos + 2)
    mrz = dg1[pos:pos + length]
    if len(mrz) != length:
        raise ValueError("DG1 is truncated")
    return mrz.decode("ascii")


def document_number(field, check, optional):
    """Document number and check digit, following the extended-number rule of
    ICAO 9303-5 §4.2.4 / 9303-6 §4.2.4: a '<' in the check digit position
    means the number continues in the optional data, up to its first '<',
    whose last character is then the check digit."""
    if check != "<":
        return field, check
    extension = optional.split("<", 1)[0]
    if len(extension) < 2:
        raise ValueError("extended document number without its continuation")
    return field + extension[:-1], extension[-1]


def mrz_information(mrz):
    """BAC MRZ information (ICAO 9303-11 §9.7.1): document number + check
    digit + date of birth + check digit + date of expiry + check digit."""
    if len(mrz) == 90:  # TD1: 3 x 30 (ICAO 9303-5)
        line1, line2 = mrz[0:30], mrz[30:60]
        number, check = document_number(line1[5:14], line1[14], line1[15:30])
        birth, expiry = line2[0:7], line2[8:15]
    elif len(mrz) in (72, 88):  # TD2: 2 x 36 (9303-6); TD3: 2 x 44 (9303-4)
        width = len(mrz) // 2
        line2 = mrz[width:]
        optional = line2[28:35] if width == 36 else ""
        number, check = document_number(line2[0:9], line2[9], optional)
        birth, expiry = line2[13:20], line2[21:28]
    else:
        raise ValueError("MRZ of %d characters is not TD1, TD2 or TD3" % len(mrz))
    return number + check + birth + expiry


def build_card(files, info):
    """vicc's OS object: MF -> application DF -> EFs, with a PassportSAM keyed by `info`."""
    from virtualsmartcard.cards.ePass import PassportSAM
    from virtualsmartcard.SmartcardFilesystem import DF, MF, TransparentStructureEF
    from virtualsmartcard.VirtualSmartcard import Iso7816OS

    mf = MF()
    df = DF(parent=mf, fid=APPLICATION_DF_FID, dfname=LDS1_AID)
    for fid in sorted(files):
        df.append(TransparentStructureEF(parent=df, fid=fid, shortfid=sfi_of(fid), data=files[fid]))
    mf.append(df)

    sam = PassportSAM(mf)
    # PassportSAM derived its keys from TD3 offsets of DG1; replace them with
    # keys from the MRZ information computed above (same derivation, its own
    # code: K_seed = SHA-1(info)[0:16], K_enc/K_mac = KDF(K_seed, 1/2)).
    sam.KSeed = hashlib.sha1(info.encode("ascii")).digest()[:16]
    sam.KEnc = PassportSAM.derive_key(sam.KSeed, 1)
    sam.KMac = PassportSAM.derive_key(sam.KSeed, 2)
    return Iso7816OS(mf, sam)


# --------------------------------------------------------------------------
# The vpcd link (card side)
# --------------------------------------------------------------------------

VPCD_CTRL_OFF = 0
VPCD_CTRL_ON = 1
VPCD_CTRL_RESET = 2
VPCD_CTRL_ATR = 4


class Link:
    """One TCP connection to vpcd: 2-byte big-endian length + payload."""

    def __init__(self, host, port, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.create_connection((host, port), timeout=2)
                break
            except OSError as e:
                if time.monotonic() >= deadline:
                    sys.exit("launch_vicc: cannot connect to vpcd at %s:%d (%s); is pcscd running?"
                             % (host, port, e))
                time.sleep(0.1)
        self.sock.settimeout(None)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def _quickack(self):
        # Linux leaves quick-ACK mode on its own; re-arm it before every
        # receive so vpcd's second send() (the APDU after its length) is not
        # held back by Nagle waiting for our delayed ACK.
        try:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        except (AttributeError, OSError):
            pass

    def _recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            self._quickack()
            chunk = self.sock.recv(n - len(buf))
            self._quickack()
            if not chunk:
                return None
            buf += chunk
        return buf

    def receive(self):
        """The next message, or None when vpcd closed the connection."""
        header = self._recv_exact(2)
        if header is None:
            return None
        (size,) = struct.unpack("!H", header)
        if size == 0:
            return b""
        return self._recv_exact(size)

    def send(self, payload):
        self.sock.sendall(struct.pack("!H", len(payload)) + payload)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def serve(card, link):
    """Answers vpcd until it disconnects."""
    while True:
        msg = link.receive()
        if msg is None:
            print("launch_vicc: vpcd closed the connection", file=sys.stderr)
            return
        if len(msg) == 1:
            control = msg[0]
            if control == VPCD_CTRL_OFF:
                card.powerDown()
            elif control == VPCD_CTRL_ON:
                card.powerUp()
            elif control == VPCD_CTRL_RESET:
                card.reset()
            elif control == VPCD_CTRL_ATR:
                link.send(card.getATR())
            else:
                logging.warning("unknown vpcd control byte %d", control)
        elif msg:
            link.send(card.execute(msg))


def main():
    parser = argparse.ArgumentParser(description="Debian's vicc ePass emulator as a BAC chip on vpcd.")
    parser.add_argument("--files", required=True, help="directory of files named by FID (011E, 0101.bin, ...)")
    parser.add_argument("--mrz-info", help="BAC MRZ information (document number, DOB, DOE with check digits); "
                        "default: computed from DG1")
    parser.add_argument("--host", default="localhost", help="vpcd host (default: %(default)s)")
    parser.add_argument("--port", type=int, default=35963, help="vpcd port (default: %(default)s)")
    parser.add_argument("--connect-timeout", type=float, default=5.0,
                        help="seconds to keep retrying the connection to vpcd (default: %(default)s)")
    parser.add_argument("-v", "--verbose", action="count", default=0,
                        help="vicc's logging (-v info with APDUs, -vv debug)")
    args = parser.parse_args()

    logging.basicConfig(level=[logging.CRITICAL, logging.INFO, logging.DEBUG][min(args.verbose, 2)],
                        format="vicc %(levelname)s %(message)s", stream=sys.stderr)

    def stop(signum, frame):
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    add_package_to_path()
    sys.meta_path.insert(0, CryptoAlias())
    patch_vicc()

    files = load_files(args.files)
    if args.mrz_info:
        info = args.mrz_info.strip().upper()
        if not re.fullmatch(r"[0-9A-Z<]{24,39}", info):
            sys.exit("launch_vicc: --mrz-info must be 24 to 39 characters of 0-9 A-Z <")
    else:
        try:
            info = mrz_information(mrz_from_dg1(files[0x0101]))
        except (ValueError, IndexError, UnicodeDecodeError) as e:
            sys.exit("launch_vicc: cannot compute the MRZ information from DG1: %s" % e)
    card = build_card(files, info)

    link = Link(args.host, args.port, args.connect_timeout)
    print("ready", flush=True)
    try:
        serve(card, link)
    except OSError as e:
        if e.errno not in (errno.ECONNRESET, errno.EPIPE):
            raise
        print("launch_vicc: vpcd connection lost (%s)" % e, file=sys.stderr)
    finally:
        link.close()


if __name__ == "__main__":
    main()
