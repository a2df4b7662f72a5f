import { test } from 'node:test';
import assert from 'node:assert/strict';
import { WatermarkPassage } from './passage.ts';

const cases: { name: string; steps: [watermark: number, at: number][]; limit?: number; ask: [end: number, at: number | undefined][] }[] = [
  { name: 'nothing reached', steps: [], ask: [[1000, undefined]] },
  { name: 'the first watermark passes every end below it at once', steps: [[2500, 7]], ask: [[1000, 7], [2000, 7], [3000, undefined]] },
  { name: 'an end is passed when the watermark first reaches it', steps: [[900, 1], [1000, 2], [1500, 3], [2100, 4]], ask: [[1000, 2], [2000, 4]] },
  { name: 'a jump over several ends passes them all at once', steps: [[500, 1], [3200, 5]], ask: [[1000, 5], [2000, 5], [3000, 5]] },
  { name: 'a watermark going back changes nothing', steps: [[1500, 1], [1200, 2], [2000, 3]], ask: [[1000, 1], [2000, 3]] },
  { name: 'beyond the limit, old ends are forgotten rather than misdated', steps: [[1000, 1], [2000, 2], [3000, 3]], limit: 2, ask: [[1000, undefined], [2000, 2], [3000, 3]] },
];

for (const c of cases) {
  test(`watermark passage: ${c.name}`, () => {
    const p = new WatermarkPassage(1000, c.limit);
    for (const [wm, at] of c.steps) p.reached(wm, at);
    assert.deepEqual(c.ask.map(([end]) => [end, p.passedAt(end)]), c.ask);
  });
}
