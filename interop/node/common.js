'use strict';
// Shared pieces of the grpc-js interop client and server: proto loading,
// flag parsing, and the (observation-only) wire hooks that let the peers see
// the per-message "compressed" flag, which grpc-js does not expose.

const path = require('path');
const fs = require('fs');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const PROTO_DIR = path.resolve(__dirname, '..', 'protos');
const MAX_MESSAGE = 16 * 1024 * 1024;

function loadTesting() {
  const def = protoLoader.loadSync(path.join(PROTO_DIR, 'test.proto'), {
    includeDirs: [PROTO_DIR],
    keepCase: true,
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def).grpc.testing;
}

// Parses --name=value, --name value and bare boolean --name.
// `booleans` lists flags that may appear bare.
function parseFlags(argv, known, booleans) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) throw new Error(`unexpected argument: ${arg}`);
    let name = arg.slice(2);
    let value;
    const eq = name.indexOf('=');
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (!known.includes(name)) throw new Error(`unknown flag: --${name}`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (booleans.includes(name)) {
        if (next !== undefined && /^(true|false|1|0|yes|no)$/i.test(next)) {
          value = next;
          i++;
        } else {
          value = 'true';
        }
      } else {
        if (next === undefined) throw new Error(`flag --${name} needs a value`);
        value = next;
        i++;
      }
    }
    out[name] = value;
  }
  return out;
}

function parseBool(v) {
  if (v === undefined) return false;
  if (/^(true|1|yes)$/i.test(v)) return true;
  if (/^(false|0|no)$/i.test(v)) return false;
  throw new Error(`not a boolean: ${v}`);
}

function readFile(p) {
  return p ? fs.readFileSync(p) : null;
}

// ---------------------------------------------------------------------------
// Wire hooks. grpc-js (pinned in package.json) keeps the compressed-flag byte
// of each received message internal. These wrappers only *read* that byte and
// attach it to objects the application already sees; they never change what
// goes on the wire. If a future grpc-js moves the internals, the hooks report
// themselves unavailable and the peers degrade (the cases that need them SKIP
// on the client; the server stops enforcing expect_compressed).

// Symbol set (non-enumerable) on a request object received by the server:
// true if that message arrived with the compressed flag set.
const WIRE_COMPRESSED = Symbol('wireCompressed');
// Symbol set on the response-headers Metadata a client receives: an array that
// fills with one boolean per received message (its compressed flag), in order.
const RECEIVED_FLAGS = Symbol('receivedCompressedFlags');

let serverHookInstalled = null;
function installServerHook() {
  if (serverHookInstalled !== null) return serverHookInstalled;
  serverHookInstalled = false;
  try {
    const si = require('@grpc/grpc-js/build/src/server-interceptors');
    const proto = si.BaseServerInterceptingCall && si.BaseServerInterceptingCall.prototype;
    if (!proto || typeof proto.decompressAndMaybePush !== 'function') return false;
    const orig = proto.decompressAndMaybePush;
    proto.decompressAndMaybePush = function (entry) {
      if (entry && entry.type === 'COMPRESSED' && Buffer.isBuffer(entry.compressedMessage)) {
        const compressed = entry.compressedMessage.readUInt8(0) === 1;
        let parsed;
        Object.defineProperty(entry, 'parsedMessage', {
          configurable: true,
          enumerable: true,
          get() { return parsed; },
          set(v) {
            if (v !== null && typeof v === 'object') {
              Object.defineProperty(v, WIRE_COMPRESSED, { value: compressed, enumerable: false });
            }
            parsed = v;
          },
        });
      }
      return orig.call(this, entry);
    };
    serverHookInstalled = true;
  } catch (e) {
    serverHookInstalled = false;
  }
  return serverHookInstalled;
}

let clientHookInstalled = null;
function installClientHook() {
  if (clientHookInstalled !== null) return clientHookInstalled;
  clientHookInstalled = false;
  try {
    const cf = require('@grpc/grpc-js/build/src/compression-filter');
    const proto = cf.CompressionFilter && cf.CompressionFilter.prototype;
    if (!proto || typeof proto.receiveMessage !== 'function' || typeof proto.receiveMetadata !== 'function') {
      return false;
    }
    const FLAGS = Symbol('flags');
    const origMeta = proto.receiveMetadata;
    proto.receiveMetadata = function (metadata) {
      const result = origMeta.call(this, metadata);
      if (!this[FLAGS]) this[FLAGS] = [];
      if (result && typeof result === 'object') {
        Object.defineProperty(result, RECEIVED_FLAGS, { value: this[FLAGS], enumerable: false, configurable: true });
      }
      return result;
    };
    const origMsg = proto.receiveMessage;
    proto.receiveMessage = async function (message) {
      const framed = await message;
      if (!this[FLAGS]) this[FLAGS] = [];
      if (Buffer.isBuffer(framed) && framed.length >= 1) this[FLAGS].push(framed.readUInt8(0) === 1);
      return origMsg.call(this, Promise.resolve(framed));
    };
    clientHookInstalled = true;
  } catch (e) {
    clientHookInstalled = false;
  }
  return clientHookInstalled;
}

module.exports = {
  grpc,
  loadTesting,
  parseFlags,
  parseBool,
  readFile,
  MAX_MESSAGE,
  WIRE_COMPRESSED,
  RECEIVED_FLAGS,
  installServerHook,
  installClientHook,
};
