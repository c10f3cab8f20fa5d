import type { OutgoingRecord } from '../event-log.port';

/**
 * Kafka's default partitioner: `toPositive(murmur2(keyBytes)) % partitions`. Using the same hash as
 * the Java client and kafkajs means a key lands on the same partition number in both adapters.
 */
export function partitionForKey(key: Buffer, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}

/** A topic as record placement sees it: its partitions and the round-robin cursor for keyless records. */
export interface PlacementTopic {
  readonly spec: { readonly name: string };
  readonly partitions: readonly unknown[];
  roundRobin: number;
}

/**
 * The partition a record goes to: its explicit partition (checked against the topic's), else its
 * key's (Kafka's murmur2), else the next one round-robin. `invalidPartition` builds the adapter's
 * error for an explicit partition the topic does not have.
 */
export function partitionOfRecord(topic: PlacementTopic, record: OutgoingRecord, invalidPartition: (message: string) => Error): number {
  const count = topic.partitions.length;
  if (record.partition !== undefined && record.partition !== null) {
    if (!Number.isInteger(record.partition) || record.partition < 0 || record.partition >= count) {
      throw invalidPartition(`topic ${topic.spec.name} has partitions 0..${count - 1}, not ${record.partition}`);
    }
    return record.partition;
  }
  if (record.key !== null && record.key !== undefined) {
    return partitionForKey(typeof record.key === 'string' ? Buffer.from(record.key) : record.key, count);
  }
  topic.roundRobin = (topic.roundRobin + 1) % count;
  return topic.roundRobin;
}

/** Kafka's 32-bit murmur2 (`org.apache.kafka.common.utils.Utils.murmur2`), seed 0x9747b28c. */
export function murmur2(data: Buffer): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = 0x9747b28c ^ length;
  const blocks = length >>> 2;
  for (let i = 0; i < blocks; i++) {
    const i4 = i * 4;
    let k = data[i4] | (data[i4 + 1] << 8) | (data[i4 + 2] << 16) | (data[i4 + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length & ~3;
  const rest = length & 3;
  if (rest === 3) h ^= data[tail + 2] << 16;
  if (rest >= 2) h ^= data[tail + 1] << 8;
  if (rest >= 1) h = Math.imul(h ^ data[tail], m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}
