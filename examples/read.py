#!/usr/bin/env python3
"""Read a document through mrtdd with nothing but the Python 3 standard library.

    python3 examples/read.py --socket /run/mrtdd/mrtdd.sock --can 012345
    python3 examples/read.py --mrz "$(cat mrz.txt)" --events
    python3 examples/read.py --qr "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021"
    python3 examples/read.py --document-number 095012345 --date-of-birth 950312 --date-of-expiry 350312

The API is HTTP/1.1 + JSON on a Unix socket: http.client does the HTTP once
its connection is pointed at the socket (UnixHTTPConnection below). The
script prints a short summary and no other personal data:

    reader=mrtdd Simulated Reader (demo CCCD) 00 00
    access=pace/can
    checks=sod_signature:valid certificate_chain:trusted ...
    status=passed name=Nguyễn Văn An

With --events it also subscribes to GET /v1/events before the read and
prints this read's events (which never carry personal data). Exit status: 0
after a read (whatever its verdict), 1 on an API error, 2 on bad arguments.
"""

import argparse
import http.client
import json
import queue
import socket
import sys
import threading

DEFAULT_SOCKET = "/run/mrtdd/mrtdd.sock"


class UnixHTTPConnection(http.client.HTTPConnection):
    """An HTTPConnection that talks to a Unix domain socket instead of TCP."""

    def __init__(self, path, timeout=120.0):
        # The host name only fills the Host header; mrtdd ignores it.
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self.unix_path)
        self.sock = sock


def call(socket_path, method, path, body=None):
    """One request; returns (HTTP status, decoded JSON body)."""
    conn = UnixHTTPConnection(socket_path)
    try:
        headers = {}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        return response.status, json.loads(response.read().decode("utf-8"))
    finally:
        conn.close()


class Events:
    """GET /v1/events on its own connection, parsed into (type, data) pairs."""

    def __init__(self, socket_path):
        # No timeout: the daemon sends a keep-alive comment every ~15 s anyway.
        self.conn = UnixHTTPConnection(socket_path, timeout=None)
        self.conn.request("GET", "/v1/events", headers={"Accept": "text/event-stream"})
        # Once the headers are in, the subscription is live: start the read after this.
        self.response = self.conn.getresponse()
        self.queue = queue.Queue()
        self.thread = threading.Thread(target=self._pump, daemon=True)
        self.thread.start()

    def _pump(self):
        event, data = None, None
        try:
            for raw in self.response:
                line = raw.decode("utf-8").rstrip("\r\n")
                if line.startswith(":"):
                    continue  # keep-alive comment
                if line.startswith("event:"):
                    event = line[len("event:"):].strip()
                elif line.startswith("data:"):
                    data = json.loads(line[len("data:"):].strip())
                elif line == "" and event is not None:
                    self.queue.put((event, data))
                    event, data = None, None
        except (OSError, ValueError, AttributeError):
            pass  # the stream ended or close() shut it down
        self.queue.put(None)

    def of_read(self, read_id, timeout=10.0):
        """This read's events up to read_finished / read_failed (others are skipped)."""
        while True:
            try:
                item = self.queue.get(timeout=timeout)
            except queue.Empty:
                return
            if item is None:
                return
            event, data = item
            if isinstance(data, dict) and data.get("read_id") == read_id:
                yield event, data
                if event in ("read_finished", "read_failed"):
                    return

    def close(self):
        # Shut the socket down so the reading thread sees the end of the stream.
        try:
            self.conn.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.thread.join(timeout=5.0)
        self.conn.close()


def parse_args():
    p = argparse.ArgumentParser(description="Read an eMRTD / CCCD through mrtdd.")
    p.add_argument("--socket", default=DEFAULT_SOCKET, help="the daemon's socket (default %(default)s)")
    p.add_argument("--reader", help="reader name (default: the daemon chooses)")
    key = p.add_mutually_exclusive_group(required=True)
    key.add_argument("--can", help="6-digit card access number (PACE); CCCD: last 6 digits of the ID")
    key.add_argument("--mrz", help="the MRZ as printed, lines separated by newlines")
    key.add_argument("--qr", help="the text of the QR code on the front of a CCCD")
    key.add_argument("--document-number", help="with --date-of-birth and --date-of-expiry (YYMMDD)")
    p.add_argument("--date-of-birth")
    p.add_argument("--date-of-expiry")
    p.add_argument("--events", action="store_true", help="also print this read's events")
    args = p.parse_args()
    if args.document_number and not (args.date_of_birth and args.date_of_expiry):
        p.error("--document-number needs --date-of-birth and --date-of-expiry")
    return args


def main():
    args = parse_args()
    if args.can:
        key = {"can": args.can}
    elif args.mrz:
        key = {"mrz": args.mrz}
    elif args.qr:
        key = {"cccd_qr": args.qr}
    else:
        key = {
            "document_number": args.document_number,
            "date_of_birth": args.date_of_birth,
            "date_of_expiry": args.date_of_expiry,
        }
    request = {"key": key}
    if args.reader:
        request["reader"] = args.reader

    events = Events(args.socket) if args.events else None
    status, body = call(args.socket, "POST", "/v1/read", request)
    if status != 200:
        error = body.get("error", {}) if isinstance(body, dict) else {}
        print("error=%s http=%d %s" % (error.get("code"), status, error.get("message", "")), file=sys.stderr)
        return 1

    if events is not None:
        for event, data in events.of_read(body["read_id"]):
            if event == "read_progress":
                # One line per file, when it is complete.
                if data.get("bytes") == data.get("total"):
                    print("event=%s file=%s bytes=%s" % (event, data.get("file"), data.get("total")))
            else:
                extra = data.get("status") or data.get("code") or ""
                print(("event=%s %s" % (event, extra)).rstrip())
        events.close()

    verification = body["verification"]
    print("reader=%s" % body["reader"])
    print("access=%s/%s" % (body["access"]["method"], body["access"]["key"]))
    checks = ["%s:%s" % (k, verification[k]) for k in
              ("sod_signature", "certificate_chain", "chip_authentication", "active_authentication")]
    checks += ["%s:%s" % item for item in sorted(verification.get("data_groups", {}).items())]
    print("checks=%s" % " ".join(checks))
    cccd = body.get("cccd") or {}
    document = body.get("document") or {}
    name = cccd.get("full_name") or " ".join(
        part for part in (document.get("given_names"), document.get("surname")) if part)
    print("status=%s name=%s" % (verification["status"], name))
    return 0


if __name__ == "__main__":
    sys.exit(main())
