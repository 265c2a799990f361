'use strict';
// A grpc-js client that makes random TestService calls of all four kinds, many at once, for a while: some are
// cancelled part way, some run under deadlines of a few milliseconds, some ask the server for an error status, some
// carry large messages and metadata. Every outcome is checked against what that call allows (e.g. a cancelled call
// may only end CANCELLED). Used to find what ordinary tests miss in a proxy: crashes, hangs, wrong statuses, leaks.
//
//   node chaos_client.js --server_port 8080 [--seconds 15] [--concurrency 32] [--channels 4]
//       [--use_tls [--ca_file PEM] [--server_host_override NAME] [--client_cert PEM --client_key PEM]]
//
// Prints one summary line "CHAOS {json}" (outcome counts and up to 20 unexpected outcomes) and exits 0 only if
// every call ended as allowed.

const grpc = require('@grpc/grpc-js');
const { loadTesting, parseFlags, readFile } = require('./common');

const MAX_MESSAGE = 16 * 1024 * 1024;
const CANCELLED = grpc.status.CANCELLED;
const DEADLINE_EXCEEDED = grpc.status.DEADLINE_EXCEEDED;

const flags = parseFlags(process.argv.slice(2), [
  'server_host', 'server_port', 'seconds', 'concurrency', 'channels',
  'use_tls', 'ca_file', 'server_host_override', 'client_cert', 'client_key'], ['use_tls']);
const target = `${flags.server_host || '127.0.0.1'}:${flags.server_port}`;
const seconds = Number(flags.seconds || 15);
const concurrency = Number(flags.concurrency || 32);
const useTls = /^(true|1|yes)$/i.test(flags.use_tls || 'false');
const credentials = useTls
  ? grpc.credentials.createSsl(readFile(flags.ca_file), readFile(flags.client_key), readFile(flags.client_cert))
  : grpc.credentials.createInsecure();
const options = {
  'grpc.max_receive_message_length': MAX_MESSAGE,
  'grpc.max_send_message_length': MAX_MESSAGE,
  // Each client its own connection, so the gateway serves several.
  'grpc.use_local_subchannel_pool': 1,
};
if (flags.server_host_override) {
  options['grpc.ssl_target_name_override'] = flags.server_host_override;
  options['grpc.default_authority'] = flags.server_host_override;
}
const testing = loadTesting();
const channels = Array.from({ length: Number(flags.channels || 4) }, () => new testing.TestService(target, credentials, options));

const counts = {};
const unexpected = [];
const random = (n) => Math.floor(Math.random() * n);
const pick = (items) => items[random(items.length)];
const payload = (size) => ({ body: Buffer.alloc(size, 7) });

/** Settles one call: its kind, how it ended, and what was allowed for it. */
function outcome(kind, code, details, allowed, context) {
  if (allowed.includes(code)) {
    const name = Object.keys(grpc.status).find((key) => grpc.status[key] === code) || String(code);
    counts[`${kind}:${name}`] = (counts[`${kind}:${name}`] || 0) + 1;
    return;
  }
  counts[`${kind}:UNEXPECTED`] = (counts[`${kind}:UNEXPECTED`] || 0) + 1;
  if (unexpected.length < 20) unexpected.push(`${kind}: ${code} ${details} (${context})`);
}

/**
 * What a call may end with besides its intended code: CANCELLED once the test cancelled it; DEADLINE_EXCEEDED if it
 * had a deadline (timeouts travel in whole milliseconds or coarser, so it may be reported a little early), and
 * CANCELLED around the deadline (one passing mid-message is a CANCEL reset, which grpc-js reports as CANCELLED when
 * it arrives before its own timer fires).
 */
function allowedFor(intended, state) {
  const allowed = [intended];
  if (state.cancelled) allowed.push(CANCELLED);
  if (state.deadline !== undefined) {
    allowed.push(DEADLINE_EXCEEDED);
    if (Date.now() >= state.deadline - 5) allowed.push(CANCELLED);
  }
  return allowed;
}

function unary(client) {
  return new Promise((resolve) => {
    const state = { cancelled: false };
    const size = pick([0, 1, 100, 1000, 65536, 300000, 2000000]);
    const request = { response_size: size, payload: payload(pick([0, 10, 5000, 100000])) };
    let intended = grpc.status.OK;
    if (random(4) === 0) {
      intended = pick([2, 3, 5, 7, 9, 13, 16]);
      request.response_status = { code: intended, message: `chaos ${intended}` };
    }
    const options = {};
    if (random(4) === 0) {
      state.deadline = Date.now() + random(20);
      options.deadline = new Date(state.deadline);
    }
    const metadata = new grpc.Metadata();
    metadata.set('x-grpc-test-echo-initial', `v${random(1000)}`);
    metadata.set('x-grpc-test-echo-trailing-bin', Buffer.from([1, 2, 3, random(256)]));
    const call = client.UnaryCall(request, metadata, options, (error, reply) => {
      if (!error && reply.payload.body.length !== size) {
        outcome('unary', -1, `reply of ${reply.payload.body.length} bytes, asked for ${size}`, [], 'size');
      } else if (error && error.code === intended && intended !== 0 && error.details !== `chaos ${intended}`) {
        outcome('unary', error.code, error.details, [], 'wrong message');
      } else {
        outcome('unary', error ? error.code : 0, error && error.details, allowedFor(intended, state), `size ${size}`);
      }
      resolve();
    });
    if (random(5) === 0) {
      setTimeout(() => { state.cancelled = true; call.cancel(); }, random(5));
    }
  });
}

function serverStreaming(client) {
  return new Promise((resolve) => {
    const state = { cancelled: false };
    const sizes = Array.from({ length: 1 + random(20) }, () => pick([0, 10, 1000, 65536, 200000]));
    const cancelAfter = random(3) === 0 ? random(sizes.length) : -1;
    const options = {};
    if (random(5) === 0) {
      state.deadline = Date.now() + 5 + random(30);
      options.deadline = new Date(state.deadline);
    }
    const call = client.StreamingOutputCall({
      response_parameters: sizes.map((size) => ({ size, interval_us: random(3) === 0 ? 2000 : 0 })),
    }, options);
    let received = 0;
    let settled = false;
    const settle = (code, details) => {
      if (settled) return;
      settled = true;
      const allowed = allowedFor(received === sizes.length ? 0 : -1, state);
      outcome('server_streaming', code, details, allowed, `${received}/${sizes.length} messages`);
      resolve();
    };
    call.on('data', (reply) => {
      if (reply.payload.body.length !== sizes[received]) {
        outcome('server_streaming', -1, `message ${received} of ${reply.payload.body.length} bytes, asked for ${sizes[received]}`, [], 'size');
      }
      if (received++ === cancelAfter) {
        state.cancelled = true;
        call.cancel();
      }
    });
    call.on('error', (error) => settle(error.code, error.details));
    call.on('status', (status) => settle(status.code, status.details));
  });
}

function clientStreaming(client) {
  return new Promise((resolve) => {
    const state = { cancelled: false };
    const sizes = Array.from({ length: random(15) }, () => pick([0, 10, 1000, 65536, 250000]));
    const total = sizes.reduce((sum, size) => sum + size, 0);
    const cancelAt = random(3) === 0 ? random(sizes.length + 1) : -1;
    const call = client.StreamingInputCall((error, reply) => {
      if (!error && Number(reply.aggregated_payload_size) !== total) {
        outcome('client_streaming', -1, `aggregated ${reply.aggregated_payload_size}, sent ${total}`, [], 'size');
      } else {
        outcome('client_streaming', error ? error.code : 0, error && error.details, allowedFor(0, state), `${sizes.length} messages`);
      }
      resolve();
    });
    let next = 0;
    const write = () => {
      if (next === cancelAt) {
        state.cancelled = true;
        call.cancel();
      } else if (next === sizes.length) {
        call.end();
      } else if (call.write({ payload: payload(sizes[next++]) })) {
        setImmediate(write);
      } else {
        call.once('drain', write);
      }
    };
    write();
  });
}

function fullDuplex(client) {
  return new Promise((resolve) => {
    const state = { cancelled: false };
    const rounds = 1 + random(12);
    const cancelAt = random(3) === 0 ? random(rounds) : -1;
    const failAt = random(6) === 0 ? random(rounds) : -1;
    const options = {};
    if (random(6) === 0) {
      state.deadline = Date.now() + 5 + random(40);
      options.deadline = new Date(state.deadline);
    }
    const call = client.FullDuplexCall(options);
    let sent = 0;
    let received = 0;
    let expectedSize = 0;
    let intended = 0;
    let settled = false;
    const send = () => {
      if (sent === cancelAt) {
        state.cancelled = true;
        call.cancel();
        return;
      }
      if (sent === rounds) {
        call.end();
        return;
      }
      expectedSize = pick([0, 1, 500, 30000, 120000]);
      const request = { response_parameters: [{ size: expectedSize }], payload: payload(pick([0, 1, 500, 30000])) };
      if (sent === failAt) {
        intended = pick([3, 9, 10]);
        request.response_status = { code: intended, message: `chaos ${intended}` };
        request.response_parameters = [];
      }
      sent++;
      call.write(request);
    };
    const settle = (code, details) => {
      if (settled) return;
      settled = true;
      const allowed = allowedFor(intended || (received === rounds ? 0 : -1), state);
      outcome('full_duplex', code, details, allowed, `${received}/${rounds} rounds`);
      resolve();
    };
    call.on('data', (reply) => {
      if (reply.payload.body.length !== expectedSize) {
        outcome('full_duplex', -1, `reply of ${reply.payload.body.length} bytes, asked for ${expectedSize}`, [], 'size');
      }
      received++;
      send();
    });
    call.on('error', (error) => settle(error.code, error.details));
    call.on('status', (status) => settle(status.code, status.details));
    send();
  });
}

// Calls under way, by worker: what a hang report names.
const running = new Map();

async function worker(id, until) {
  const kinds = [unary, unary, serverStreaming, clientStreaming, fullDuplex];
  while (Date.now() < until) {
    const kind = pick(kinds);
    running.set(id, { kind: kind.name, since: Date.now() });
    await kind(pick(channels));
    running.delete(id);
  }
}

function report(hung) {
  channels.forEach((channel) => channel.close());
  console.log(`CHAOS ${JSON.stringify({ counts, unexpected, hung })}`);
  process.exit(hung.length === 0 && unexpected.length === 0 && !Object.keys(counts).some((key) => key.endsWith(':UNEXPECTED')) ? 0 : 1);
}

(async () => {
  const until = Date.now() + seconds * 1000;
  // No call lasts long by design (the longest streams take well under a second), so one still running 20 s after the
  // end is hung: report it rather than wait for it.
  setTimeout(() => report([...running.values()].map((call) => `${call.kind} running for ${Date.now() - call.since} ms`)), seconds * 1000 + 20000).unref();
  await Promise.all(Array.from({ length: concurrency }, (_, id) => worker(id, until)));
  report([]);
})();
