// upload.mjs sends one file to returnbench's tus endpoint with the official
// tus-js-client, for server/tusclient_test.go. It prints one JSON object
// per line on standard output:
//
//   {"event":"response","method":M,"status":S,"offset":O}
//                                               each answer of the server (O from Upload-Offset, -1 if none)
//   {"event":"url","url":U}                     the upload is known at U (created, or found to resume)
//   {"event":"progress","sent":N,"total":T}     at most once per MiB, and at the end
//   {"event":"interrupted","url":U,"sent":N}    mode interrupt-at=N: aborted on purpose
//   {"event":"success","url":U}                 every byte was accepted
//   {"event":"error","message":M,"status":S}    the upload failed (exit status 1)
//
// Usage:
//   RB_TOKEN=... node upload.mjs --endpoint URL --file PATH --metadata JSON \
//     --chunk-size BYTES --mode full|interrupt-at=BYTES|resume=UPLOAD_URL
//
// The session token comes from the environment so that it never shows in a
// process list; --token is accepted too.
import fs from 'node:fs'
import { parseArgs } from 'node:util'
import { Upload } from 'tus-js-client'

const { values: args } = parseArgs({
  options: {
    endpoint: { type: 'string' },
    token: { type: 'string' },
    file: { type: 'string' },
    metadata: { type: 'string', default: '{}' },
    'chunk-size': { type: 'string', default: String(5 << 20) },
    mode: { type: 'string', default: 'full' },
  },
})

function emit(event, fields = {}) {
  process.stdout.write(JSON.stringify({ event, ...fields }) + '\n')
}

function fail(message, status = 0) {
  emit('error', { message, status })
  process.exit(1)
}

const token = args.token || process.env.RB_TOKEN || ''
if (!args.endpoint || !args.file || !token) {
  fail('usage: RB_TOKEN=... node upload.mjs --endpoint URL --file PATH [--metadata JSON] [--chunk-size N] [--mode full|interrupt-at=N|resume=URL]')
}

let metadata
try {
  metadata = JSON.parse(args.metadata)
} catch (err) {
  fail(`--metadata is not JSON: ${err.message}`)
}

const chunkSize = Number(args['chunk-size'])
if (!Number.isSafeInteger(chunkSize) || chunkSize <= 0) {
  fail(`--chunk-size must be a positive whole number, not ${args['chunk-size']}`)
}

let interruptAt = Infinity
let uploadUrl = null
if (args.mode.startsWith('interrupt-at=')) {
  interruptAt = Number(args.mode.slice('interrupt-at='.length))
  if (!Number.isSafeInteger(interruptAt) || interruptAt <= 0) {
    fail(`--mode interrupt-at needs a positive number of bytes, not ${args.mode}`)
  }
} else if (args.mode.startsWith('resume=')) {
  uploadUrl = args.mode.slice('resume='.length)
} else if (args.mode !== 'full') {
  fail(`unknown --mode ${args.mode}: use full, interrupt-at=N or resume=URL`)
}

const size = fs.statSync(args.file).size
let lastReported = -1
let interrupted = false

const upload = new Upload(fs.createReadStream(args.file), {
  endpoint: args.endpoint,
  uploadUrl,
  uploadSize: size,
  chunkSize,
  retryDelays: [0, 200, 500],
  metadata,
  headers: { Authorization: `Bearer ${token}` },
  // Resuming is driven by the test through --mode resume=URL, not by a
  // fingerprint store.
  storeFingerprintForResuming: false,
  onAfterResponse(req, res) {
    const offset = Number.parseInt(res.getHeader('Upload-Offset') ?? '', 10)
    emit('response', { method: req.getMethod(), status: res.getStatus(), offset: Number.isNaN(offset) ? -1 : offset })
  },
  onUploadUrlAvailable() {
    emit('url', { url: upload.url })
  },
  onProgress(sent, total) {
    const mib = Math.floor(sent / (1 << 20))
    if (mib > lastReported || sent === total) {
      lastReported = mib
      emit('progress', { sent, total })
    }
    if (!interrupted && sent >= interruptAt) {
      interrupted = true
      upload.abort(false).then(() => {
        emit('interrupted', { url: upload.url, sent })
        process.exit(0)
      })
    }
  },
  onSuccess() {
    emit('success', { url: upload.url })
    process.exit(0)
  },
  onError(err) {
    const res = err.originalResponse
    fail(String(err.message || err), res ? res.getStatus() : 0)
  },
})

upload.start()
