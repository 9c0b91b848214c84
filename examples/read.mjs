#!/usr/bin/env node
// Read a document through mrtdd with Node.js and no dependencies.
//
//   node examples/read.mjs --socket /run/mrtdd/mrtdd.sock --can 012345
//   node examples/read.mjs --mrz "$(cat mrz.txt)" --events
//   node examples/read.mjs --qr "001095012345||Nguyễn Văn An|12031995|Nam|Hà Nội|01062021"
//   node examples/read.mjs --document-number 095012345 --date-of-birth 950312 --date-of-expiry 350312
//
// The API is HTTP/1.1 + JSON on a Unix socket: Node's http.request takes the
// socket as `socketPath`. Prints the same short summary as read.py and no
// other personal data:
//
//   reader=mrtdd Simulated Reader (demo CCCD) 00 00
//   access=pace/can
//   checks=sod_signature:valid certificate_chain:trusted ...
//   status=passed name=Nguyễn Văn An
//
// With --events it also subscribes to GET /v1/events before the read and
// prints this read's events (which never carry personal data). Exit status:
// 0 after a read (whatever its verdict), 1 on an API error, 2 on bad arguments.

import http from 'node:http';
import { parseArgs } from 'node:util';

const DEFAULT_SOCKET = '/run/mrtdd/mrtdd.sock';

/** One request; resolves to {status, body} with the JSON body decoded. */
function call(socketPath, method, path, body) {
  return new Promise((resolve, reject) => {
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8');
    const headers = data ? { 'Content-Type': 'application/json', 'Content-Length': data.length } : {};
    const req = http.request({ socketPath, method, path, headers }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (err) {
          reject(err);
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });
}

/**
 * GET /v1/events on its own connection. Resolves once the response headers
 * are in (the subscription is live: start the read after this); events are
 * collected as {event, data} in `received`.
 */
function subscribe(socketPath) {
  return new Promise((resolve, reject) => {
    const sub = { received: [], waiters: [], req: null };
    const notify = () => sub.waiters.splice(0).forEach((wake) => wake());
    sub.req = http.get({ socketPath, path: '/v1/events', headers: { Accept: 'text/event-stream' } }, (res) => {
      res.setEncoding('utf8');
      let buffer = '';
      let event = null;
      let data = null;
      res.on('data', (text) => {
        buffer += text;
        let eol;
        while ((eol = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, eol).replace(/\r$/, '');
          buffer = buffer.slice(eol + 1);
          if (line.startsWith(':')) continue; // keep-alive comment
          if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data = JSON.parse(line.slice(5).trim());
          else if (line === '' && event !== null) {
            sub.received.push({ event, data });
            event = null;
            data = null;
            notify();
          }
        }
      });
      res.on('end', notify);
      resolve(sub);
    });
    sub.req.on('error', reject);
  });
}

/** This read's events up to read_finished / read_failed (others are skipped). */
async function eventsOfRead(sub, readId, timeoutMs = 10000) {
  const deadline = Date.now() + timeoutMs;
  const mine = [];
  for (let i = 0; ; i++) {
    while (i >= sub.received.length) {
      const left = deadline - Date.now();
      if (left <= 0) return mine;
      await new Promise((wake) => {
        const timer = setTimeout(wake, left);
        sub.waiters.push(() => {
          clearTimeout(timer);
          wake();
        });
      });
    }
    const { event, data } = sub.received[i];
    if (data && data.read_id === readId) {
      mine.push({ event, data });
      if (event === 'read_finished' || event === 'read_failed') return mine;
    }
  }
}

function usage(message) {
  process.stderr.write(`read.mjs: ${message}\n`);
  process.exit(2);
}

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        socket: { type: 'string', default: DEFAULT_SOCKET },
        reader: { type: 'string' },
        can: { type: 'string' },
        mrz: { type: 'string' },
        qr: { type: 'string' },
        'document-number': { type: 'string' },
        'date-of-birth': { type: 'string' },
        'date-of-expiry': { type: 'string' },
        events: { type: 'boolean', default: false },
      },
    }));
  } catch (err) {
    usage(err.message);
  }
  const keys = ['can', 'mrz', 'qr', 'document-number'].filter((k) => values[k] !== undefined);
  if (keys.length !== 1) usage('give exactly one of --can, --mrz, --qr, --document-number');
  let key;
  if (values.can !== undefined) key = { can: values.can };
  else if (values.mrz !== undefined) key = { mrz: values.mrz };
  else if (values.qr !== undefined) key = { cccd_qr: values.qr };
  else {
    if (!values['date-of-birth'] || !values['date-of-expiry']) {
      usage('--document-number needs --date-of-birth and --date-of-expiry');
    }
    key = {
      document_number: values['document-number'],
      date_of_birth: values['date-of-birth'],
      date_of_expiry: values['date-of-expiry'],
    };
  }
  const request = { key };
  if (values.reader !== undefined) request.reader = values.reader;

  const sub = values.events ? await subscribe(values.socket) : null;
  const { status, body } = await call(values.socket, 'POST', '/v1/read', request);
  if (status !== 200) {
    const error = (body && body.error) || {};
    process.stderr.write(`error=${error.code} http=${status} ${error.message || ''}\n`);
    if (sub) sub.req.destroy();
    return 1;
  }

  if (sub) {
    for (const { event, data } of await eventsOfRead(sub, body.read_id)) {
      if (event === 'read_progress') {
        // One line per file, when it is complete.
        if (data.bytes === data.total) console.log(`event=${event} file=${data.file} bytes=${data.total}`);
      } else {
        console.log(`event=${event} ${data.status || data.code || ''}`.trimEnd());
      }
    }
    sub.req.destroy();
  }

  const v = body.verification;
  console.log(`reader=${body.reader}`);
  console.log(`access=${body.access.method}/${body.access.key}`);
  const checks = ['sod_signature', 'certificate_chain', 'chip_authentication', 'active_authentication'].map(
    (k) => `${k}:${v[k]}`,
  );
  for (const dg of Object.keys(v.data_groups || {}).sort()) checks.push(`${dg}:${v.data_groups[dg]}`);
  console.log(`checks=${checks.join(' ')}`);
  const cccd = body.cccd || {};
  const doc = body.document || {};
  const name = cccd.full_name || [doc.given_names, doc.surname].filter(Boolean).join(' ');
  console.log(`status=${v.status} name=${name}`);
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`read.mjs: ${err.message}\n`);
    process.exitCode = 1;
  },
);
