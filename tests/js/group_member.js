#!/usr/bin/env node
// One kafkajs member of a consumer group, for tests/test_groups_clients.py: subscribes to
// a topic, commits each batch's offset synchronously, then prints its records as
//
//   R  partition  offset  value
//
// and on SIGTERM leaves the group and exits. Errors go to stderr as "E <message>".
//
// Usage: node group_member.js BOOTSTRAP GROUP TOPIC CLIENT_ID
//
// kafkajs's own assigners are named "RoundRobinAssigner", a protocol no other client
// offers, so a group mixing it with librdkafka, kafka-python or the Java client could
// not agree on one. The "range" assigner below is the one every other client has: per
// topic, the subscribed members sorted by member id each take a contiguous share of the
// sorted partitions, the first (partitions % members) one more. Subscription and
// assignment use the consumer protocol's version 0 layout (kafkajs's MemberMetadata and
// MemberAssignment), which every version extends.
'use strict'

const { Kafka, logLevel, AssignerProtocol } = require('kafkajs')
const { MemberMetadata, MemberAssignment } = AssignerProtocol

const [bootstrap, groupId, topic, clientId] = process.argv.slice(2)
if (!clientId) {
  console.error('usage: node group_member.js BOOTSTRAP GROUP TOPIC CLIENT_ID')
  process.exit(2)
}

const RangeAssigner = ({ cluster }) => ({
  name: 'range',
  version: 0,
  async assign({ members, topics }) {
    const assignment = {}
    for (const m of members) assignment[m.memberId] = {}
    for (const t of topics) {
      const subscribed = members
        .filter(m => MemberMetadata.decode(m.memberMetadata).topics.includes(t))
        .map(m => m.memberId)
        .sort()
      if (subscribed.length === 0) continue
      const partitions = cluster.findTopicPartitionMetadata(t).map(p => p.partitionId).sort((a, b) => a - b)
      const each = Math.floor(partitions.length / subscribed.length)
      const extra = partitions.length % subscribed.length
      let next = 0
      subscribed.forEach((id, i) => {
        const n = each + (i < extra ? 1 : 0)
        if (n > 0) assignment[id][t] = partitions.slice(next, next + n)
        next += n
      })
    }
    return members.map(m => ({
      memberId: m.memberId,
      memberAssignment: MemberAssignment.encode({
        version: 0,
        assignment: assignment[m.memberId],
        userData: Buffer.alloc(0),
      }),
    }))
  },
  protocol({ topics }) {
    return { name: 'range', metadata: MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) }
  },
})

async function main() {
  const kafka = new Kafka({ clientId, brokers: [bootstrap], logLevel: logLevel.ERROR })
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 6000,
    heartbeatInterval: 500,
    rebalanceTimeout: 30000,
    // Heartbeats go out between fetches: a short long-poll keeps them well inside the
    // session timeout.
    maxWaitTimeInMs: 500,
    partitionAssigners: [RangeAssigner],
  })
  let stopping = false
  const stop = async () => {
    if (stopping) return
    stopping = true
    try {
      await consumer.disconnect()
    } finally {
      process.exit(0)
    }
  }
  process.on('SIGTERM', stop)
  process.on('SIGINT', stop)
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
      if (batch.messages.length === 0 || !isRunning() || isStale()) return
      const last = batch.messages[batch.messages.length - 1]
      const next = (BigInt(last.offset) + 1n).toString()
      await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: next }])
      for (const m of batch.messages) resolveOffset(m.offset)
      process.stdout.write(batch.messages
        .map(m => `R\t${batch.partition}\t${m.offset}\t${m.value.toString()}\n`).join(''))
      await heartbeat()
    },
  })
}

main().catch(e => {
  console.error(`E ${e && e.stack ? e.stack : e}`)
  process.exit(1)
})
