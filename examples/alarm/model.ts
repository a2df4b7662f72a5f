/** Room sensor events and alarms shared by alarm v1 and v2. */
export interface RoomEvent {
  readonly room: string;
  readonly type: 'activate' | 'deactivate' | 'motion';
  /** Event time, epoch ms. */
  readonly ts: number;
}

export interface Alarm {
  readonly room: string;
  readonly ts: number;
  readonly reason: string;
}

/** The per-room state: the last event that counts (Avro, so versions can evolve it). */
export interface LastEvent {
  readonly type: string;
  readonly ts: number;
}
export const lastEventSchema = {
  type: 'record',
  name: 'LastEvent',
  namespace: 'pitlane.examples.alarm',
  fields: [
    { name: 'type', type: 'string' },
    { name: 'ts', type: 'long' },
  ],
};
