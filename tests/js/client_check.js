#!/usr/bin/env node
// Drives kafkajs against a broker and prints what happened as tab-separated lines for
// tests/test_produce_fetch_kafkajs.py to check:
//
//   ADMIN  ok|fail  detail
//   P      codec  -  -  key  value               (a record acknowledged by the broker)
//   C      codec  partition  offset  key  value  (a record fetched back)
//   DONE   codec  ok|fail  detail
//
// Usage: node client_check.js --bootstrap HOST:PORT [--count N] [--partitions P]
//          [--timeout-ms T] codec=topic ...
//
// kafkajs has no consumer without a consumer group, so records are read back with
// kafkajs's own Fetch request (its cluster and broker objects, the code its consumer
// uses underneath): that keeps this check to Metadata, Produce and Fetch.
'use strict'

const { Kafka, logLevel, CompressionTypes, CompressionCodecs } = require('kafkajs')
const SnappyCodec = require('kafkajs-snappy')
const lz4js = require('lz4js')
const xxh32 = require('lz4js/xxh32.js')
const { ZstdCodec } = require('zstd-codec')

const CODECS = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

function parseArgs(argv) {
  const opts = { count: 1000, partitions: 4, timeoutMs: 60000, topics: [] }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]
    if (a === '--bootstrap') opts.bootstrap = argv[++i]
    else if (a === '--count') opts.count = parseInt(argv[++i], 10)
    else if (a === '--partitions') opts.partitions = parseInt(argv[++i], 10)
    else if (a === '--timeout-ms') opts.timeoutMs = parseInt(argv[++i], 10)
    else {
      const eq = a.indexOf('=')
      if (eq < 0 || !(a.slice(0, eq) in CODECS)) throw new Error(`expected codec=topic, got ${a}`)
      opts.topics.push([a.slice(0, eq), a.slice(eq + 1)])
    }
  }
  if (!opts.bootstrap) throw new Error('--bootstrap is required')
  return opts
}

async function registerCodecs() {
  CompressionCodecs[CompressionTypes.Snappy] = SnappyCodec
  CompressionCodecs[CompressionTypes.LZ4] = () => ({
    compress: async encoder => lz4Frame(encoder.buffer),
    decompress: async buffer => Buffer.from(lz4js.decompress(buffer)),
  })
  const zstd = await new Promise(resolve => ZstdCodec.run(resolve))
  const streaming = new zstd.Streaming()
  CompressionCodecs[CompressionTypes.ZSTD] = () => ({
    compress: async encoder => Buffer.from(streaming.compress(encoder.buffer, 3)),
    decompress: async buffer => Buffer.from(streaming.decompress(buffer)),
  })
}

// An LZ4 frame with independent blocks, which Kafka requires (lz4js.compress writes
// dependent blocks). Blocks of at most 4 MiB, each compressed with a fresh hash table.
function lz4Frame(src) {
  const header = Buffer.from([0x04, 0x22, 0x4d, 0x18, 0x60, 0x70, 0])
  header[6] = (xxh32.hash(0, header, 4, 2) >> 8) & 0xff
  const parts = [header]
  const maxBlock = 4 << 20
  for (let start = 0; start < src.length; start += maxBlock) {
    const chunk = src.subarray(start, Math.min(src.length, start + maxBlock))
    const dst = Buffer.alloc(lz4js.compressBound(chunk.length))
    const n = lz4js.compressBlock(chunk, dst, 0, chunk.length, new Uint32Array(1 << 16))
    const size = Buffer.alloc(4)
    if (n === 0 || n >= chunk.length) {
      size.writeUInt32LE((0x80000000 | chunk.length) >>> 0)
      parts.push(size, Buffer.from(chunk))
    } else {
      size.writeUInt32LE(n)
      parts.push(size, dst.subarray(0, n))
    }
  }
  parts.push(Buffer.alloc(4)) // end mark
  return Buffer.concat(parts)
}

const value = (codec, i) =>
  `${codec}-${String(i).padStart(8, '0')}-` + 'moldau kafkajs client check '.repeat(1 + (i % 7))

const line = fields => process.stdout.write(fields.join('\t') + '\n')
const oneLine = e => String((e && e.stack) || e).split('\n')[0].replace(/\t/g, ' ')

function withDeadline(promise, ms, what) {
  let timer
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

async function admin(kafka, opts) {
  const adm = kafka.admin()
  await adm.connect()
  try {
    await adm.createTopics({
      waitForLeaders: true,
      timeout: 15000,
      topics: opts.topics.map(([, topic]) => ({ topic, numPartitions: opts.partitions, replicationFactor: 1 })),
    })
    const md = await adm.fetchTopicMetadata({ topics: opts.topics.map(([, t]) => t) })
    for (const t of md.topics) {
      if (t.partitions.length !== opts.partitions) {
        throw new Error(`${t.name} has ${t.partitions.length} partitions, expected ${opts.partitions}`)
      }
    }
    line(['ADMIN', 'ok', `topics=${md.topics.length}`])
  } finally {
    await adm.disconnect()
  }
  // A broker may list a new partition's leader a moment before that leader accepts
  // writes (Kafka's KRaft brokers do). kafkajs retries a whole send() when one
  // partition fails, duplicating what the other partitions took, so wait until every
  // partition answers a Fetch before producing.
  for (const [, topic] of opts.topics) await waitFetchable(kafka, topic, opts)
}

async function waitFetchable(kafka, topic, opts) {
  const cluster = privateCreateCluster(kafka)
  await cluster.connect()
  try {
    const deadline = Date.now() + opts.timeoutMs
    for (;;) {
      try {
        await cluster.refreshMetadata()
        await cluster.addTargetTopic(topic)
        const partitions = [...Array(opts.partitions).keys()]
        for (const [leader, parts] of Object.entries(cluster.findLeaderForPartitions(topic, partitions))) {
          const broker = await cluster.findBroker({ nodeId: leader })
          await broker.fetch({
            replicaId: -1, isolationLevel: 1, maxWaitTime: 0, minBytes: 1, maxBytes: 1024,
            topics: [{ topic, partitions: parts.map(p => ({ partition: p, fetchOffset: '0', maxBytes: 1024 })) }],
          })
        }
        return
      } catch (e) {
        if (Date.now() > deadline) throw e
        await new Promise(r => setTimeout(r, 100))
      }
    }
  } finally {
    await cluster.disconnect()
  }
}

async function produce(kafka, codec, topic, opts) {
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false, maxInFlightRequests: 1 })
  await producer.connect()
  try {
    const chunk = 500
    for (let start = 0; start < opts.count; start += chunk) {
      const messages = []
      for (let i = start; i < Math.min(opts.count, start + chunk); i++) {
        messages.push({ key: `k${i % 16}`, value: value(codec, i) })
      }
      const meta = await producer.send({ topic, acks: -1, timeout: 15000, compression: CODECS[codec], messages })
      for (const m of meta) {
        if (m.errorCode !== 0) throw new Error(`produce error ${m.errorCode} on partition ${m.partition}`)
      }
      for (const m of messages) line(['P', codec, '-', '-', m.key, m.value])
    }
  } finally {
    await producer.disconnect()
  }
}

function privateCreateCluster(kafka) {
  const sym = Object.getOwnPropertySymbols(kafka).find(s => s.description === 'private:Kafka:createCluster')
  if (!sym) throw new Error('kafkajs internals changed: no createCluster')
  return kafka[sym]({ metadataMaxAge: 300000, allowAutoTopicCreation: false })
}

async function fetchAll(kafka, codec, topic, opts) {
  const cluster = privateCreateCluster(kafka)
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    const partitions = [...Array(opts.partitions).keys()]
    const offsets = new Map(partitions.map(p => [p, 0n]))
    const highWatermarks = new Map()
    let got = 0
    const deadline = Date.now() + opts.timeoutMs
    while (got < opts.count && Date.now() < deadline) {
      const byLeader = cluster.findLeaderForPartitions(topic, partitions)
      for (const [leader, parts] of Object.entries(byLeader)) {
        const broker = await cluster.findBroker({ nodeId: leader })
        const resp = await broker.fetch({
          replicaId: -1,
          isolationLevel: 1,
          maxWaitTime: 200,
          minBytes: 1,
          maxBytes: 4 << 20,
          topics: [{ topic, partitions: parts.map(p => ({ partition: p, fetchOffset: String(offsets.get(p)), maxBytes: 1 << 20 })) }],
        })
        for (const t of resp.responses) {
          for (const p of t.partitions) {
            if (p.errorCode !== 0) throw new Error(`fetch error ${p.errorCode} on partition ${p.partition}`)
            highWatermarks.set(p.partition, BigInt(p.highWatermark))
            for (const m of p.messages) {
              const off = BigInt(m.offset)
              if (off < offsets.get(p.partition)) continue // a batch may start before the fetch offset
              line(['C', codec, p.partition, m.offset, m.key ? m.key.toString() : '', m.value ? m.value.toString() : ''])
              offsets.set(p.partition, off + 1n)
              got++
            }
          }
        }
      }
    }
    if (got !== opts.count) throw new Error(`fetched ${got} of ${opts.count} records`)
  } finally {
    await cluster.disconnect()
  }
}

async function main() {
  const opts = parseArgs(process.argv.slice(2))
  await registerCodecs()
  const kafka = new Kafka({
    clientId: 'moldau-kafkajs-check',
    brokers: [opts.bootstrap],
    logLevel: logLevel.ERROR,
    connectionTimeout: 5000,
    requestTimeout: 15000,
    retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
  })
  let failed = false
  try {
    await withDeadline(admin(kafka, opts), opts.timeoutMs, 'admin')
  } catch (e) {
    line(['ADMIN', 'fail', oneLine(e)])
    failed = true
  }
  for (const [codec, topic] of opts.topics) {
    try {
      await withDeadline(produce(kafka, codec, topic, opts), opts.timeoutMs, `produce ${codec}`)
      await withDeadline(fetchAll(kafka, codec, topic, opts), opts.timeoutMs + 5000, `fetch ${codec}`)
      line(['DONE', codec, 'ok', ''])
    } catch (e) {
      line(['DONE', codec, 'fail', oneLine(e)])
      failed = true
    }
  }
  return failed ? 1 : 0
}

// Exit only once everything written to stdout has been handed to the pipe.
const exitWhenFlushed = code => process.stdout.write('', () => process.exit(code))

main().then(exitWhenFlushed, e => {
  process.stderr.write(`client_check: ${e && e.stack ? e.stack : e}\n`)
  exitWhenFlushed(2)
})
