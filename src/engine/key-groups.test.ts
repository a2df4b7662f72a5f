import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assignRanges, keyGroupOf, murmur3, rangeOf, subtaskOf, validateParallelism, rangeSize } from './key-groups.ts';
import { ConfigError } from '../errors.ts';

test('murmur3 x86_32 matches the reference vectors', () => {
  const cases: [string, number, number][] = [
    ['', 0, 0x00000000],
    ['', 1, 0x514e28b7],
    ['', 0xffffffff, 0x81f16f39],
    ['a', 0, 0x3c2569b2],
    ['abc', 0, 0xb3dd93fa],
    ['abcd', 0, 0x43ed676a],
    ['Hello, world!', 1234, 0xfaf6cdb3],
    ['The quick brown fox jumps over the lazy dog', 0, 0x2e4ff723],
  ];
  for (const [s, seed, want] of cases) assert.equal(murmur3(Buffer.from(s), seed), want, `murmur3(${JSON.stringify(s)}, ${seed})`);
});

test('maxParallelism and parallelism bounds', async (t) => {
  const cases: [number, number, string | null][] = [
    [1, 1, null],
    [32768, 1, null],
    [32768, 32768, null],
    [128, 128, null],
    [0, 1, 'KEYGROUP_BAD_MAX_PARALLELISM'],
    [32769, 1, 'KEYGROUP_BAD_MAX_PARALLELISM'],
    [1.5, 1, 'KEYGROUP_BAD_MAX_PARALLELISM'],
    [128, 0, 'KEYGROUP_BAD_PARALLELISM'],
    [128, 129, 'KEYGROUP_BAD_PARALLELISM'],
  ];
  for (const [maxP, p, code] of cases) {
    await t.test(`maxP=${maxP} p=${p}`, () => {
      if (code === null) validateParallelism(maxP, p);
      else assert.throws(() => validateParallelism(maxP, p), (e: unknown) => e instanceof ConfigError && e.code === code);
    });
  }
});

test('ranges are contiguous, cover every key group once, and agree with subtaskOf — every p for several maxP', () => {
  for (const maxP of [1, 2, 3, 7, 10, 128, 257]) {
    for (let p = 1; p <= maxP; p++) {
      const ranges = assignRanges(maxP, p);
      let next = 0;
      ranges.forEach((r, i) => {
        assert.equal(r.start, next, `maxP=${maxP} p=${p} subtask ${i} starts where the previous ended`);
        assert.ok(rangeSize(r) >= 1, 'every subtask owns at least one key group');
        for (let kg = r.start; kg <= r.end; kg++) assert.equal(subtaskOf(kg, maxP, p), i);
        next = r.end + 1;
      });
      assert.equal(next, maxP, 'the ranges end at maxParallelism');
    }
  }
});

test('the largest maxParallelism: spot checks at 32768', () => {
  const maxP = 32768;
  for (const p of [1, 3, 1000, 32767, 32768]) {
    const ranges = assignRanges(maxP, p);
    assert.equal(ranges[0]!.start, 0);
    assert.equal(ranges[ranges.length - 1]!.end, maxP - 1);
    assert.deepEqual(rangeOf(p - 1, maxP, p), ranges[p - 1]);
  }
});

test('keyGroupOf is stable and in range', () => {
  const kg = keyGroupOf(Buffer.from('user-42'), 128);
  assert.equal(kg, keyGroupOf(Buffer.from('user-42'), 128));
  assert.ok(kg >= 0 && kg < 128);
  const counts = new Array<number>(8).fill(0);
  for (let i = 0; i < 8000; i++) counts[keyGroupOf(Buffer.from(`k${i}`), 8)]!++;
  assert.ok(counts.every((c) => c > 800 && c < 1200), `roughly uniform: ${counts.join(',')}`);
});
