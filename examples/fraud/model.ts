/** Transactions, flags and the per-user profile of the fraud example. */
export interface Transaction {
  readonly txId: string;
  readonly userId: string;
  readonly amount: number;
  /** Event time, epoch ms. */
  readonly ts: number;
}

export interface Flag {
  readonly txId: string;
  readonly userId: string;
  readonly amount: number;
  readonly ts: number;
  readonly threshold: number;
  /** Transactions of this user before this one. */
  readonly priorCount: number;
}

export const profileV1Schema = {
  type: 'record',
  name: 'Profile',
  namespace: 'pitlane.examples.fraud',
  fields: [
    { name: 'count', type: 'int' },
    { name: 'total', type: 'double' },
  ],
};

/** v2 adds maxAmount, with a default, so v1 savepoints restore into v2. */
export const profileV2Schema = {
  ...profileV1Schema,
  fields: [...profileV1Schema.fields, { name: 'maxAmount', type: 'double', default: 0 }],
};

export interface ProfileV1 {
  readonly count: number;
  readonly total: number;
}
export interface ProfileV2 extends ProfileV1 {
  readonly maxAmount: number;
}
