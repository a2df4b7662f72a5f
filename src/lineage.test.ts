import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingRecord } from './kafka/port.ts';
import { LINEAGE_HEADERS, UNKNOWN_SOURCE, eventTimeOfHeaders, lineageAt, lineageHeaders, lineageOfHeaders, type HeaderCursor } from './lineage.ts';

const source: IncomingRecord = { topic: 'orders', partition: 2, offset: 41, key: null, value: null, headers: {}, timestamp: 0 };
const buffers = (h: Record<string, string>) => Object.fromEntries(Object.entries(h).map(([k, v]) => [k, Buffer.from(v)]));

/** A HeaderCursor over a plain header object, as the comparator's decoding provides one. */
function cursor(headers: Record<string, Buffer>): HeaderCursor {
  return {
    bytes: Buffer.alloc(0),
    start: 0,
    end: 0,
    header(name) {
      const h = headers[name];
      if (!h) return false;
      Object.assign(this, { bytes: h, start: 0, end: h.length });
      return true;
    },
  };
}

test('lineageHeaders: the source and the event time, or only the event time when the source is unknown', () => {
  assert.deepEqual(lineageHeaders(source, 1000), { 'pitlane.event-time': '1000', 'pitlane.src.topic': 'orders', 'pitlane.src.partition': '2', 'pitlane.src.offset': '41' });
  assert.deepEqual(lineageHeaders(UNKNOWN_SOURCE, 7), { 'pitlane.event-time': '7' });
});

test('both readers read back what the engine writes', () => {
  const h = buffers(lineageHeaders(source, 1000));
  assert.deepEqual(lineageAt(cursor(h)), { topic: 'orders', partition: 2, offset: 41 });
  assert.deepEqual(lineageOfHeaders(h), { topic: 'orders', partition: '2', offset: 41 });
  assert.equal(eventTimeOfHeaders(h), 1000);
  const unknown = buffers(lineageHeaders(UNKNOWN_SOURCE, 7));
  assert.equal(lineageAt(cursor(unknown)), undefined);
  assert.equal(lineageOfHeaders(unknown), undefined);
});

test('headers the engine would not write: the comparator reads leniently, the cutover strictly', () => {
  for (const missing of [LINEAGE_HEADERS.topic, LINEAGE_HEADERS.partition, LINEAGE_HEADERS.offset]) {
    const h = buffers(lineageHeaders(source, 1000));
    delete h[missing];
    assert.equal(lineageAt(cursor(h)), undefined, missing);
    assert.equal(lineageOfHeaders(h), undefined, missing);
  }
  const odd = buffers({ [LINEAGE_HEADERS.topic]: 'orders', [LINEAGE_HEADERS.partition]: '02', [LINEAGE_HEADERS.offset]: '4e1', [LINEAGE_HEADERS.eventTime]: '-5' });
  assert.deepEqual(lineageAt(cursor(odd)), { topic: 'orders', partition: 2, offset: 40 });
  assert.equal(lineageOfHeaders(odd), undefined);
  assert.equal(eventTimeOfHeaders(odd), -5);
  assert.equal(eventTimeOfHeaders(buffers({ [LINEAGE_HEADERS.eventTime]: '2024-01-01T00:00:00Z' })), undefined);
  assert.deepEqual(lineageOfHeaders(buffers({ [LINEAGE_HEADERS.topic]: 'orders', [LINEAGE_HEADERS.partition]: '02', [LINEAGE_HEADERS.offset]: '40' })), { topic: 'orders', partition: '02', offset: 40 });
});
