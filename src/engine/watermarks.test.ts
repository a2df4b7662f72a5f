import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NO_WATERMARK, WatermarkTracker } from './watermarks.ts';

type Step = ['add', string, number] | ['see', string, number, number] | ['wm', number, number];

test('watermark: min over active partitions, idle ones drop out, never backwards', async (t) => {
  const cases: { name: string; ooo: number; idle?: number; steps: Step[] }[] = [
    { name: 'single partition: max − ooo − 1', ooo: 100, steps: [['see', 'p0', 1000, 0], ['wm', 0, 899], ['see', 'p0', 500, 1], ['wm', 1, 899], ['see', 'p0', 2000, 2], ['wm', 2, 1899]] },
    { name: 'no record yet: no watermark', ooo: 0, steps: [['add', 'p0', 0], ['wm', 0, NO_WATERMARK]] },
    { name: 'minimum over partitions', ooo: 0, steps: [['see', 'a', 1000, 0], ['see', 'b', 300, 0], ['wm', 0, 299], ['see', 'b', 5000, 1], ['wm', 1, 999]] },
    { name: 'a silent declared partition holds the watermark without an idle timeout', ooo: 0, steps: [['add', 'b', 0], ['see', 'a', 1000, 0], ['wm', 100000, NO_WATERMARK]] },
    { name: 'a silent partition drops out after the idle timeout', ooo: 0, idle: 500, steps: [['add', 'b', 0], ['see', 'a', 1000, 400], ['wm', 499, NO_WATERMARK], ['wm', 500, 999]] },
    { name: 'an idle partition that comes back with an older time does not move it back', ooo: 0, idle: 500, steps: [['see', 'a', 1000, 0], ['see', 'b', 10, 0], ['see', 'a', 5000, 600], ['wm', 600, 4999], ['see', 'b', 20, 700], ['wm', 700, 4999]] },
    { name: 'all idle: the watermark holds', ooo: 0, idle: 10, steps: [['see', 'a', 1000, 0], ['wm', 5, 999], ['wm', 100, 999]] },
    { name: 'active partition lagging holds it back again after it returns', ooo: 0, idle: 500, steps: [['see', 'a', 1000, 0], ['see', 'b', 100, 0], ['see', 'a', 2000, 600], ['wm', 600, 1999], ['see', 'b', 3000, 700], ['see', 'a', 2500, 700], ['wm', 700, 2499]] },
  ];
  for (const c of cases) {
    await t.test(c.name, () => {
      const w = new WatermarkTracker({ outOfOrderness: c.ooo, idleTimeout: c.idle });
      for (const s of c.steps) {
        if (s[0] === 'add') w.addPartition(s[1], s[2]);
        else if (s[0] === 'see') w.observe(s[1], s[2], s[3]);
        else assert.equal(w.current(s[1]), s[2], `watermark at now=${s[1]}`);
      }
    });
  }
});

test('watermark: restore keeps each partition where the snapshot left it', () => {
  const w = new WatermarkTracker({ outOfOrderness: 50 });
  w.restorePartition('a', 1000, 0);
  w.restorePartition('b', 700, 0);
  assert.equal(w.current(0), 700);
  w.observe('b', 2000, 1);
  assert.equal(w.current(1), 1000);
  assert.deepEqual(w.describe(1).map((p) => p.watermark), [1000, 1949]);
});
