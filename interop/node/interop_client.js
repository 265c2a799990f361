#!/usr/bin/env node
'use strict';
// gRPC interop test client (grpc.testing.TestService) on @grpc/grpc-js.
//
//   node interop_client.js --server_host 127.0.0.1 --server_port N \
//       [--test_case all|NAME[,NAME...]] [--use_tls [--ca_file PEM]
//       [--server_host_override NAME] [--client_cert PEM --client_key PEM]]
//
// Prints "PASS name", "FAIL name: reason" or "SKIP name: reason" per case and
// then "N passed, M failed" (", K skipped" appended when K > 0). Exits 1 if
// any case failed, 2 on bad flags.

const {
  grpc, loadTesting, parseFlags, parseBool, readFile, MAX_MESSAGE,
  RECEIVED_FLAGS, installClientHook,
} = require('./common');

const CASE_TIMEOUT_MS = 30000;
const NO_COMPRESS = 2; // grpc-js WriteFlags.NoCompress
const GZIP = 2; // grpc-js CompressionAlgorithms.gzip

const canSeeResponseCompression = installClientHook();

class Skip extends Error {}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

function zeros(n) {
  return Buffer.alloc(n);
}

function assertZeros(body, size, what) {
  assert(body && body.length === size, `${what}: payload size ${body ? body.length : 'none'}, want ${size}`);
  for (let i = 0; i < body.length; i++) {
    if (body[i] !== 0) throw new Error(`${what}: payload byte ${i} is ${body[i]}, want 0`);
  }
}

function codeName(code) {
  for (const [k, v] of Object.entries(grpc.status)) if (v === code) return k;
  return String(code);
}

function assertCode(result, code, what) {
  const got = result.status ? result.status.code : undefined;
  assert(got === code,
    `${what}: status ${codeName(got)} (${result.status ? JSON.stringify(result.status.details) : ''}), want ${codeName(code)}`);
}

// ---------------------------------------------------------------------------
// Call helpers. Each resolves with {response(s), initial, status} once the
// call has fully finished; they never reject.

function unary(client, method, request, metadata, options) {
  return new Promise(resolve => {
    const out = { response: null, initial: null, status: null };
    let gotCallback = false;
    let gotStatus = false;
    const done = () => { if (gotCallback && gotStatus) resolve(out); };
    const call = client[method](request, metadata || new grpc.Metadata(), options || {}, (err, resp) => {
      out.response = err ? null : resp;
      gotCallback = true;
      done();
    });
    call.on('metadata', md => { out.initial = md; });
    call.on('status', st => { out.status = st; gotStatus = true; done(); });
  });
}

// Wraps a readable client call: next() yields messages in order, then null.
class Reader {
  constructor(call) {
    this.call = call;
    this.messages = [];
    this.waiters = [];
    this.ended = false;
    this.initial = null;
    this.status = null;
    this.statusPromise = new Promise(resolve => { this.resolveStatus = resolve; });
    let streamDone = false;
    let statusDone = false;
    const maybeFinish = () => {
      if (streamDone && statusDone) this.resolveStatus(this.status);
    };
    call.on('metadata', md => { this.initial = md; });
    call.on('data', m => this.push(m));
    call.on('end', () => { streamDone = true; this.finish(); maybeFinish(); });
    call.on('error', () => { streamDone = true; this.finish(); maybeFinish(); });
    call.on('status', st => { this.status = st; statusDone = true; maybeFinish(); });
  }
  push(m) {
    const w = this.waiters.shift();
    if (w) w(m);
    else this.messages.push(m);
  }
  finish() {
    this.ended = true;
    for (const w of this.waiters.splice(0)) w(null);
  }
  next() {
    if (this.messages.length > 0) return Promise.resolve(this.messages.shift());
    if (this.ended) return Promise.resolve(null);
    return new Promise(resolve => this.waiters.push(resolve));
  }
  async all() {
    const out = [];
    for (let m = await this.next(); m !== null; m = await this.next()) out.push(m);
    return out;
  }
  async finished() {
    return this.statusPromise;
  }
  flags() {
    return this.initial ? this.initial[RECEIVED_FLAGS] : undefined;
  }
}

// Client-streaming call: returns {call, result} where result resolves like unary().
function clientStream(client, method, metadata, options) {
  const out = { response: null, initial: null, status: null };
  let call;
  const result = new Promise(resolve => {
    let gotCallback = false;
    let gotStatus = false;
    const done = () => { if (gotCallback && gotStatus) resolve(out); };
    call = client[method](metadata || new grpc.Metadata(), options || {}, (err, resp) => {
      out.response = err ? null : resp;
      gotCallback = true;
      done();
    });
    call.on('metadata', md => { out.initial = md; });
    call.on('status', st => { out.status = st; gotStatus = true; done(); });
  });
  return { call, result };
}

// ---------------------------------------------------------------------------
// Test cases.

function largeUnaryRequest(extra) {
  return Object.assign({
    response_type: 'COMPRESSABLE',
    response_size: 314159,
    payload: { type: 'COMPRESSABLE', body: zeros(271828) },
  }, extra || {});
}

function echoMetadata() {
  const md = new grpc.Metadata();
  md.add('x-grpc-test-echo-initial', 'test_initial_metadata_value');
  md.add('x-grpc-test-echo-trailing-bin', Buffer.from([0xab, 0xab, 0xab]));
  return md;
}

function checkEchoedMetadata(initial, trailers, what) {
  const iv = initial ? initial.get('x-grpc-test-echo-initial') : [];
  assert(iv.length === 1 && iv[0] === 'test_initial_metadata_value',
    `${what}: initial metadata x-grpc-test-echo-initial = ${JSON.stringify(iv)}`);
  const tv = trailers ? trailers.get('x-grpc-test-echo-trailing-bin') : [];
  assert(tv.length === 1 && Buffer.isBuffer(tv[0]) && tv[0].equals(Buffer.from([0xab, 0xab, 0xab])),
    `${what}: trailing metadata x-grpc-test-echo-trailing-bin = ${JSON.stringify(tv)}`);
}

const cases = {
  async empty_unary(ctx) {
    const r = await unary(ctx.client, 'EmptyCall', {});
    assertCode(r, grpc.status.OK, 'EmptyCall');
    assert(r.response !== null && r.response !== undefined, 'EmptyCall: null response');
  },

  async large_unary(ctx) {
    const r = await unary(ctx.client, 'UnaryCall', largeUnaryRequest());
    assertCode(r, grpc.status.OK, 'UnaryCall');
    assertZeros(r.response.payload && r.response.payload.body, 314159, 'UnaryCall');
  },

  async client_streaming(ctx) {
    const { call, result } = clientStream(ctx.client, 'StreamingInputCall');
    for (const n of [27182, 8, 1828, 45904]) call.write({ payload: { body: zeros(n) } });
    call.end();
    const r = await result;
    assertCode(r, grpc.status.OK, 'StreamingInputCall');
    assert(r.response.aggregated_payload_size === 74922,
      `aggregated_payload_size ${r.response.aggregated_payload_size}, want 74922`);
  },

  async server_streaming(ctx) {
    const sizes = [31415, 9, 2653, 58979];
    const reader = new Reader(ctx.client.StreamingOutputCall({
      response_type: 'COMPRESSABLE',
      response_parameters: sizes.map(size => ({ size })),
    }));
    const msgs = await reader.all();
    const st = await reader.finished();
    assertCode({ status: st }, grpc.status.OK, 'StreamingOutputCall');
    assert(msgs.length === sizes.length, `got ${msgs.length} responses, want ${sizes.length}`);
    msgs.forEach((m, i) => assertZeros(m.payload && m.payload.body, sizes[i], `response ${i}`));
  },

  async ping_pong(ctx) {
    const call = ctx.client.FullDuplexCall();
    const reader = new Reader(call);
    const sizes = [31415, 9, 2653, 58979];
    const bodies = [27182, 8, 1828, 45904];
    for (let i = 0; i < sizes.length; i++) {
      call.write({
        response_type: 'COMPRESSABLE',
        response_parameters: [{ size: sizes[i] }],
        payload: { body: zeros(bodies[i]) },
      });
      const m = await reader.next();
      assert(m !== null, `stream ended before response ${i} (${reader.status ? codeName(reader.status.code) : 'no status'})`);
      assertZeros(m.payload && m.payload.body, sizes[i], `response ${i}`);
    }
    call.end();
    const extra = await reader.next();
    assert(extra === null, 'unexpected extra response');
    assertCode({ status: await reader.finished() }, grpc.status.OK, 'FullDuplexCall');
  },

  async empty_stream(ctx) {
    const call = ctx.client.FullDuplexCall();
    const reader = new Reader(call);
    call.end();
    const msgs = await reader.all();
    assertCode({ status: await reader.finished() }, grpc.status.OK, 'FullDuplexCall');
    assert(msgs.length === 0, `got ${msgs.length} responses, want 0`);
  },

  async custom_metadata(ctx) {
    const r = await unary(ctx.client, 'UnaryCall', largeUnaryRequest(), echoMetadata());
    assertCode(r, grpc.status.OK, 'UnaryCall');
    assertZeros(r.response.payload && r.response.payload.body, 314159, 'UnaryCall');
    checkEchoedMetadata(r.initial, r.status.metadata, 'UnaryCall');

    const call = ctx.client.FullDuplexCall(echoMetadata());
    const reader = new Reader(call);
    call.write({
      response_type: 'COMPRESSABLE',
      response_parameters: [{ size: 314159 }],
      payload: { body: zeros(271828) },
    });
    call.end();
    const msgs = await reader.all();
    const st = await reader.finished();
    assertCode({ status: st }, grpc.status.OK, 'FullDuplexCall');
    assert(msgs.length === 1, `FullDuplexCall: got ${msgs.length} responses, want 1`);
    assertZeros(msgs[0].payload && msgs[0].payload.body, 314159, 'FullDuplexCall');
    checkEchoedMetadata(reader.initial, st.metadata, 'FullDuplexCall');
  },

  async status_code_and_message(ctx) {
    const want = { code: 2, message: 'test status message' };
    const r = await unary(ctx.client, 'UnaryCall', { response_status: want });
    assertCode(r, 2, 'UnaryCall');
    assert(r.status.details === want.message, `UnaryCall: message ${JSON.stringify(r.status.details)}`);

    const call = ctx.client.FullDuplexCall();
    const reader = new Reader(call);
    call.write({ response_status: want });
    call.end();
    await reader.all();
    const st = await reader.finished();
    assertCode({ status: st }, 2, 'FullDuplexCall');
    assert(st.details === want.message, `FullDuplexCall: message ${JSON.stringify(st.details)}`);
  },

  async special_status_message(ctx) {
    const message = '\t\ntest with whitespace\r\nand Unicode BMP \u263a and non-BMP \ud83d\ude08\t\n';
    const r = await unary(ctx.client, 'UnaryCall', { response_status: { code: 2, message } });
    assertCode(r, 2, 'UnaryCall');
    assert(r.status.details === message,
      `message ${JSON.stringify(r.status.details)}, want ${JSON.stringify(message)}`);
  },

  async unimplemented_method(ctx) {
    const r = await unary(ctx.client, 'UnimplementedCall', {});
    assertCode(r, grpc.status.UNIMPLEMENTED, 'TestService/UnimplementedCall');
  },

  async unimplemented_service(ctx) {
    const r = await unary(ctx.unimplementedClient, 'UnimplementedCall', {});
    assertCode(r, grpc.status.UNIMPLEMENTED, 'UnimplementedService/UnimplementedCall');
  },

  async cancel_after_begin(ctx) {
    const { call, result } = clientStream(ctx.client, 'StreamingInputCall');
    call.cancel();
    const r = await result;
    assertCode(r, grpc.status.CANCELLED, 'StreamingInputCall');
  },

  async cancel_after_first_response(ctx) {
    const call = ctx.client.FullDuplexCall();
    const reader = new Reader(call);
    call.write({
      response_type: 'COMPRESSABLE',
      response_parameters: [{ size: 31415 }],
      payload: { body: zeros(27182) },
    });
    const m = await reader.next();
    assert(m !== null, 'stream ended before the first response');
    assertZeros(m.payload && m.payload.body, 31415, 'first response');
    call.cancel();
    assertCode({ status: await reader.finished() }, grpc.status.CANCELLED, 'FullDuplexCall');
  },

  async timeout_on_sleeping_server(ctx) {
    const call = ctx.client.FullDuplexCall({ deadline: Date.now() + 1 });
    const reader = new Reader(call);
    call.write({ payload: { body: zeros(27182) } });
    await reader.all();
    assertCode({ status: await reader.finished() }, grpc.status.DEADLINE_EXCEEDED, 'FullDuplexCall');
  },

  async client_compressed_unary(ctx) {
    const probe = await unary(ctx.client, 'UnaryCall',
      largeUnaryRequest({ expect_compressed: { value: true } }));
    let serverChecks = true;
    if (probe.status.code === grpc.status.OK) serverChecks = false;
    else assertCode(probe, grpc.status.INVALID_ARGUMENT, 'probe (uncompressed, expect_compressed=true)');

    const c = await unary(ctx.gzipClient(), 'UnaryCall',
      largeUnaryRequest({ expect_compressed: { value: true } }));
    assertCode(c, grpc.status.OK, 'compressed call');
    assertZeros(c.response.payload && c.response.payload.body, 314159, 'compressed call');

    const u = await unary(ctx.client, 'UnaryCall',
      largeUnaryRequest({ expect_compressed: { value: false } }));
    assertCode(u, grpc.status.OK, 'uncompressed call');
    assertZeros(u.response.payload && u.response.payload.body, 314159, 'uncompressed call');
    if (!serverChecks) {
      throw new Skip('server does not check request compression (probe with expect_compressed=true ' +
        'on an uncompressed request succeeded); compressed and uncompressed calls otherwise OK');
    }
  },

  async server_compressed_unary(ctx) {
    for (const want of [true, false]) {
      const r = await unary(ctx.client, 'UnaryCall',
        largeUnaryRequest({ response_compressed: { value: want } }));
      if (want && r.status && r.status.code === grpc.status.UNIMPLEMENTED) {
        throw new Skip(`server cannot compress responses: ${r.status.details}`);
      }
      assertCode(r, grpc.status.OK, `response_compressed=${want}`);
      assertZeros(r.response.payload && r.response.payload.body, 314159, `response_compressed=${want}`);
      if (canSeeResponseCompression) {
        const flags = r.initial ? r.initial[RECEIVED_FLAGS] : undefined;
        assert(Array.isArray(flags) && flags.length === 1,
          `response_compressed=${want}: could not read the response's compressed flag`);
        assert(flags[0] === want, `response_compressed=${want}: compressed flag is ${flags[0]}`);
      }
    }
    if (!canSeeResponseCompression) {
      throw new Skip('cannot observe the compressed flag with this grpc-js version; payloads verified OK');
    }
  },

  async client_compressed_streaming(ctx) {
    const probe = clientStream(ctx.client, 'StreamingInputCall');
    probe.call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
    probe.call.end();
    const pr = await probe.result;
    let serverChecks = true;
    if (pr.status.code === grpc.status.OK) serverChecks = false;
    else assertCode(pr, grpc.status.INVALID_ARGUMENT, 'probe (uncompressed, expect_compressed=true)');

    const { call, result } = clientStream(ctx.gzipClient(), 'StreamingInputCall');
    call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
    call.write({ expect_compressed: { value: false }, payload: { body: zeros(45904) } }, NO_COMPRESS);
    call.end();
    const r = await result;
    assertCode(r, grpc.status.OK, 'StreamingInputCall');
    assert(r.response.aggregated_payload_size === 73086,
      `aggregated_payload_size ${r.response.aggregated_payload_size}, want 73086`);
    if (!serverChecks) {
      throw new Skip('server does not check request compression (probe with expect_compressed=true ' +
        'on an uncompressed request succeeded); the mixed compressed/uncompressed stream otherwise OK');
    }
  },

  async server_compressed_streaming(ctx) {
    const params = [{ compressed: { value: true }, size: 31415 }, { compressed: { value: false }, size: 92653 }];
    const reader = new Reader(ctx.client.StreamingOutputCall({
      response_type: 'COMPRESSABLE',
      response_parameters: params,
    }));
    const msgs = await reader.all();
    const st = await reader.finished();
    if (st && st.code === grpc.status.UNIMPLEMENTED) {
      throw new Skip(`server cannot compress responses: ${st.details}`);
    }
    assertCode({ status: st }, grpc.status.OK, 'StreamingOutputCall');
    assert(msgs.length === 2, `got ${msgs.length} responses, want 2`);
    msgs.forEach((m, i) => assertZeros(m.payload && m.payload.body, params[i].size, `response ${i}`));
    if (!canSeeResponseCompression) {
      throw new Skip('cannot observe the compressed flag with this grpc-js version; payloads verified OK');
    }
    const flags = reader.flags();
    assert(Array.isArray(flags) && flags.length === 2, `could not read the responses' compressed flags`);
    assert(flags[0] === true, 'response 0 (compressed=true) arrived uncompressed');
    assert(flags[1] === false, 'response 1 (compressed=false) arrived compressed');
  },
};

const ALL_CASES = Object.keys(cases);

function withTimeout(promise, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

async function main() {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2),
      ['server_host', 'server_port', 'test_case', 'use_tls', 'ca_file',
        'server_host_override', 'client_cert', 'client_key', 'use_test_ca'],
      ['use_tls', 'use_test_ca']);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(2);
  }
  const host = flags.server_host || '127.0.0.1';
  const port = Number(flags.server_port);
  if (!Number.isInteger(port) || port <= 0 || port > 65535) {
    process.stderr.write(`bad or missing --server_port: ${flags.server_port}\n`);
    process.exit(2);
  }
  const names = (flags.test_case || 'all') === 'all'
    ? ALL_CASES
    : flags.test_case.split(',').map(s => s.trim()).filter(Boolean);
  const unknown = names.filter(n => !cases[n]);
  if (unknown.length > 0) {
    process.stderr.write(`unknown test case(s): ${unknown.join(', ')}; known: ${ALL_CASES.join(', ')}\n`);
    process.exit(2);
  }

  let creds;
  const options = {
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  };
  if (parseBool(flags.use_tls)) {
    if (!!flags.client_cert !== !!flags.client_key) {
      process.stderr.write('--client_cert and --client_key go together\n');
      process.exit(2);
    }
    creds = grpc.credentials.createSsl(readFile(flags.ca_file), readFile(flags.client_key),
      readFile(flags.client_cert));
    if (flags.server_host_override) {
      options['grpc.ssl_target_name_override'] = flags.server_host_override;
      options['grpc.default_authority'] = flags.server_host_override;
    }
  } else {
    creds = grpc.credentials.createInsecure();
    if (flags.server_host_override) options['grpc.default_authority'] = flags.server_host_override;
  }
  const target = host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
  const testing = loadTesting();
  const client = new testing.TestService(target, creds, options);
  const unimplementedClient = new testing.UnimplementedService(target, creds, options);
  let gzip = null;
  const ctx = {
    client,
    unimplementedClient,
    gzipClient() {
      if (!gzip) {
        gzip = new testing.TestService(target, creds,
          Object.assign({}, options, { 'grpc.default_compression_algorithm': GZIP }));
      }
      return gzip;
    },
  };

  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const name of names) {
    try {
      await withTimeout(cases[name](ctx), CASE_TIMEOUT_MS);
      console.log(`PASS ${name}`);
      passed++;
    } catch (e) {
      const reason = String(e && e.message ? e.message : e).replace(/\s*\n\s*/g, ' ');
      if (e instanceof Skip) {
        console.log(`SKIP ${name}: ${reason}`);
        skipped++;
      } else {
        console.log(`FAIL ${name}: ${reason}`);
        failed++;
      }
    }
  }
  console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
  client.close();
  unimplementedClient.close();
  if (gzip) gzip.close();
  // Exit explicitly: a channel whose last call was cancelled can keep its
  // socket (and so the event loop) alive for a while after close().
  process.exit(failed > 0 ? 1 : 0);
}

main().catch(e => {
  process.stderr.write(`interop client crashed: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
