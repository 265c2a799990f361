#!/usr/bin/env node
'use strict';
// gRPC interop test server (grpc.testing.TestService) on @grpc/grpc-js.
//
//   node interop_server.js --port 0 [--use_tls [--cert PEM --key PEM [--client_ca PEM]]]
//
// Binds 127.0.0.1 only. Prints exactly one line "LISTENING <port>" on stdout
// once it accepts calls; everything else goes to stderr. Exits 0 on SIGTERM or
// SIGINT. UnimplementedCall is left unimplemented and UnimplementedService is
// not registered, so both answer UNIMPLEMENTED.

const {
  grpc, loadTesting, parseFlags, parseBool, readFile, MAX_MESSAGE,
  WIRE_COMPRESSED, installServerHook,
} = require('./common');

const ECHO_INITIAL = 'x-grpc-test-echo-initial';
const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';

function log(msg) {
  process.stderr.write(`[node interop server] ${msg}\n`);
}

// Request-compression checks need the wire hook (see common.js).
const canSeeRequestCompression = installServerHook();
if (!canSeeRequestCompression) {
  log('warning: cannot observe request compression flags; expect_compressed is not enforced');
}

function zeros(n) {
  return Buffer.alloc(n);
}

function sleepUs(us) {
  return us > 0 ? new Promise(r => setTimeout(r, us / 1000)) : Promise.resolve();
}

// Initial metadata to echo (plus any extra entries), and trailers to echo.
function echoInitial(call, extra) {
  const md = new grpc.Metadata();
  for (const v of call.metadata.get(ECHO_INITIAL)) md.add(ECHO_INITIAL, v);
  if (extra) for (const [k, v] of extra) md.add(k, v);
  if (Object.keys(md.getMap()).length > 0) call.sendMetadata(md);
}

function echoTrailers(call) {
  const md = new grpc.Metadata();
  for (const v of call.metadata.get(ECHO_TRAILING)) md.add(ECHO_TRAILING, v);
  return md;
}

function statusError(code, details, trailers) {
  return { code, details, metadata: trailers };
}

// Returns an error object if the message's compression does not match the
// client's expect_compressed, else null.
function checkCompression(message, expect, trailers) {
  if (expect === null || expect === undefined) return null;
  if (!canSeeRequestCompression) return null;
  const compressed = message[WIRE_COMPRESSED];
  if (compressed === undefined) return null;
  if (expect.value && !compressed) {
    return statusError(grpc.status.INVALID_ARGUMENT,
      'Expected compressed request, but the message was not compressed', trailers);
  }
  if (!expect.value && compressed) {
    return statusError(grpc.status.INVALID_ARGUMENT,
      'Expected uncompressed request, but the message was compressed', trailers);
  }
  return null;
}

// grpc-js servers never compress responses (their framing writes the flag as
// 0), so a request for a compressed response cannot be honoured. Say so
// explicitly instead of silently sending it uncompressed.
function compressionUnsupported(trailers) {
  return statusError(grpc.status.UNIMPLEMENTED,
    'response compression is not supported by the @grpc/grpc-js server', trailers);
}

function echoStatusError(req, trailers) {
  const st = req.response_status;
  if (st && st.code !== 0) return statusError(st.code, st.message, trailers);
  return null;
}

function payloadSize(req) {
  return req.payload && req.payload.body ? req.payload.body.length : 0;
}

const handlers = {
  EmptyCall(call, callback) {
    echoInitial(call);
    callback(null, {}, echoTrailers(call));
  },

  UnaryCall(call, callback) {
    const req = call.request;
    echoInitial(call);
    const trailers = echoTrailers(call);
    const bad = checkCompression(req, req.expect_compressed, trailers);
    if (bad) return callback(bad);
    if (req.response_compressed && req.response_compressed.value) {
      return callback(compressionUnsupported(trailers));
    }
    const st = echoStatusError(req, trailers);
    if (st) return callback(st);
    if (req.response_size < 0) {
      return callback(statusError(grpc.status.INVALID_ARGUMENT, 'negative response_size', trailers));
    }
    callback(null, { payload: { type: 'COMPRESSABLE', body: zeros(req.response_size) } }, trailers);
  },

  CacheableUnaryCall(call, callback) {
    echoInitial(call, [['cache-control', 'max-age=60']]);
    const now = BigInt(Date.now()) * 1000000n + (process.hrtime.bigint() % 1000000n);
    callback(null, { payload: { type: 'COMPRESSABLE', body: Buffer.from(now.toString()) } },
      echoTrailers(call));
  },

  async StreamingOutputCall(call) {
    const req = call.request;
    echoInitial(call);
    const trailers = echoTrailers(call);
    try {
      const st = echoStatusError(req, trailers);
      if (st) return call.emit('error', st);
      if (req.response_parameters.some(p => p.compressed && p.compressed.value)) {
        return call.emit('error', compressionUnsupported(trailers));
      }
      for (const p of req.response_parameters) {
        await sleepUs(p.interval_us);
        if (call.cancelled) return;
        call.write({ payload: { type: req.response_type, body: zeros(p.size) } });
      }
      call.end(trailers);
    } catch (e) {
      call.emit('error', statusError(grpc.status.INTERNAL, String(e), trailers));
    }
  },

  StreamingInputCall(call, callback) {
    echoInitial(call);
    const trailers = echoTrailers(call);
    let total = 0;
    let done = false;
    call.on('data', req => {
      if (done) return;
      const bad = checkCompression(req, req.expect_compressed, trailers);
      if (bad) {
        done = true;
        callback(bad);
        return;
      }
      total += payloadSize(req);
    });
    call.on('end', () => {
      if (done) return;
      done = true;
      callback(null, { aggregated_payload_size: total }, trailers);
    });
    call.on('error', () => { done = true; });
  },

  FullDuplexCall(call) {
    duplex(call, false);
  },

  HalfDuplexCall(call) {
    duplex(call, true);
  },
  // UnimplementedCall: deliberately absent (grpc-js answers UNIMPLEMENTED).
};

// FullDuplexCall answers each request as it arrives; HalfDuplexCall buffers
// the requests until half-close. Both finish with OK after the client's
// half-close, or with the first response_status a request asks for.
function duplex(call, buffered) {
  echoInitial(call);
  const trailers = echoTrailers(call);
  const pending = [];
  let finished = false;
  let chain = Promise.resolve();

  function finish(err) {
    if (finished) return;
    finished = true;
    if (err) call.emit('error', err);
    else call.end(trailers);
  }

  async function handle(req) {
    if (finished) return;
    const st = echoStatusError(req, trailers);
    if (st) return finish(st);
    if (req.response_parameters.some(p => p.compressed && p.compressed.value)) {
      return finish(compressionUnsupported(trailers));
    }
    for (const p of req.response_parameters) {
      await sleepUs(p.interval_us);
      if (call.cancelled || finished) return;
      call.write({ payload: { type: req.response_type, body: zeros(p.size) } });
    }
  }

  function enqueue(step) {
    chain = chain.then(step).catch(e => finish(statusError(grpc.status.INTERNAL, String(e), trailers)));
  }

  call.on('data', req => {
    if (finished) return;
    if (buffered) pending.push(req);
    else enqueue(() => handle(req));
  });
  call.on('end', () => {
    enqueue(async () => {
      for (const req of pending.splice(0)) await handle(req);
      finish(null);
    });
  });
  call.on('cancelled', () => { finished = true; });
  call.on('error', () => { finished = true; });
}

function main() {
  let flags;
  try {
    flags = parseFlags(process.argv.slice(2),
      ['port', 'use_tls', 'cert', 'key', 'client_ca'], ['use_tls']);
  } catch (e) {
    log(e.message);
    process.exit(2);
  }
  const port = Number(flags.port || '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    log(`bad --port: ${flags.port}`);
    process.exit(2);
  }
  let creds;
  if (parseBool(flags.use_tls)) {
    if (!flags.cert || !flags.key) {
      log('--use_tls needs --cert and --key');
      process.exit(2);
    }
    const clientCa = readFile(flags.client_ca);
    creds = grpc.ServerCredentials.createSsl(
      clientCa,
      [{ private_key: readFile(flags.key), cert_chain: readFile(flags.cert) }],
      clientCa !== null);
  } else {
    creds = grpc.ServerCredentials.createInsecure();
  }

  const testing = loadTesting();
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  });
  server.addService(testing.TestService.service, handlers);

  server.bindAsync(`127.0.0.1:${port}`, creds, (err, boundPort) => {
    if (err) {
      log(`bind failed: ${err.message}`);
      process.exit(1);
    }
    process.stdout.write(`LISTENING ${boundPort}\n`);
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => {
      server.forceShutdown();
      process.exit(0);
    }, 2000);
    server.tryShutdown(() => {
      clearTimeout(timer);
      process.exit(0);
    });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
