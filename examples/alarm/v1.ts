/**
 * alarm v1: raises an alarm on motion in a room whose last event was "activate".
 *   pitlane run examples/alarm/v1.ts --param input=alarm.events --param output=alarm.alarms
 */
import { avroCodec, defineJob, valueState } from '../../src/engine/index.ts';
import { lastEventSchema, type Alarm, type LastEvent, type RoomEvent } from './model.ts';

const last = valueState<LastEvent>('last', { codec: avroCodec(lastEventSchema) });

export default defineJob({
  name: 'alarm',
  version: '1',
  maxParallelism: 128,
  build(env) {
    env
      .fromKafka<RoomEvent>({ uid: 'events', topics: env.param('input', 'alarm.events'), timestamp: { field: 'ts' } })
      .keyBy((e) => e.room)
      .process<Alarm>('room-state', {
        states: [last],
        processElement(e, ctx) {
          const state = ctx.state.value(last);
          if (e.type === 'motion' && state.value()?.type === 'activate') ctx.emit({ room: e.room, ts: e.ts, reason: 'motion while armed' });
          state.update({ type: e.type, ts: e.ts });
        },
      })
      .toKafka({ uid: 'alarms', topic: env.param('output', 'alarm.alarms'), key: (a) => a.room });
  },
});
