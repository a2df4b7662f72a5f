/**
 * alarm v2: like v1, but motion within `graceMs` (default 30 s) after activation is
 * tolerated (people leaving the room) and leaves the room armed.
 *   pitlane run examples/alarm/v2.ts --param graceMs=30000
 */
import { avroCodec, defineJob, valueState } from '../../src/engine/index.ts';
import { lastEventSchema, type Alarm, type LastEvent, type RoomEvent } from './model.ts';

const last = valueState<LastEvent>('last', { codec: avroCodec(lastEventSchema) });

export default defineJob({
  name: 'alarm',
  version: '2',
  maxParallelism: 128,
  build(env) {
    const graceMs = env.numberParam('graceMs', 30_000);
    env
      .fromKafka<RoomEvent>({ uid: 'events', topics: env.param('input', 'alarm.events'), timestamp: { field: 'ts' } })
      .keyBy((e) => e.room)
      .process<Alarm>('room-state', {
        states: [last],
        processElement(e, ctx) {
          const state = ctx.state.value(last);
          const prev = state.value();
          if (e.type === 'motion' && prev?.type === 'activate') {
            if (e.ts - prev.ts <= graceMs) return; // tolerated: stays armed
            ctx.emit({ room: e.room, ts: e.ts, reason: `motion ${e.ts - prev.ts} ms after arming` });
          }
          state.update({ type: e.type, ts: e.ts });
        },
      })
      .toKafka({ uid: 'alarms', topic: env.param('output', 'alarm.alarms'), key: (a) => a.room });
  },
});
