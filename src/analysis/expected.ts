import type { Measurement, Status } from '../../comparators/types.ts';

/**
 * A declared, intended difference between the versions (design.md §5): an
 * expected change range for a check's observed value, or schema fields that are
 * meant to appear, disappear or change type. Declared changes pass; anything else
 * is still judged as usual, and a declared schema change that does not happen fails.
 */
export interface ExpectedDifference {
  /** Check name or type. */
  readonly check: string;
  /** Only this metric of the check (all when absent). */
  readonly metric?: string | undefined;
  /** Observed value (e.g. relative change) must lie within [min, max]. */
  readonly change?: { readonly min?: number | undefined; readonly max?: number | undefined } | undefined;
  readonly addedFields?: readonly string[] | undefined;
  readonly removedFields?: readonly string[] | undefined;
  readonly retypedFields?: readonly string[] | undefined;
  readonly reason?: string | undefined;
}

const judged = (s: Status) => s === 'Successful' || s === 'Failed';

export function applyExpected(measurements: readonly Measurement[], expected: readonly ExpectedDifference[]): Measurement[] {
  if (expected.length === 0) return [...measurements];
  return measurements.map((m) => {
    let out = m;
    for (const e of expected) {
      if (e.check !== m.check && e.check !== m.type) continue;
      if (e.metric !== undefined && e.metric !== m.metric) continue;
      if (e.change && judged(out.status) && out.observed !== null) out = applyChange(out, e);
      if (m.type === 'schema' && judged(out.status) && (e.addedFields || e.removedFields || e.retypedFields)) out = applySchema(out, e);
    }
    return out;
  });
}

function applyChange(m: Measurement, e: ExpectedDifference): Measurement {
  const min = e.change?.min ?? -Infinity;
  const max = e.change?.max ?? Infinity;
  const inside = m.observed! >= min && m.observed! <= max;
  return {
    ...m,
    status: inside ? 'Successful' : 'Failed',
    detail: { ...m.detail, expectedChange: { min: e.change?.min ?? null, max: e.change?.max ?? null, inside, ...(e.reason ? { reason: e.reason } : {}) } },
  };
}

interface SchemaDetail {
  added?: string[];
  removed?: string[];
  retyped?: { field: string }[];
  compatibility?: { compatible: boolean };
}

function applySchema(m: Measurement, e: ExpectedDifference): Measurement {
  const d = m.detail as SchemaDetail;
  const added = d.added ?? [];
  const removed = d.removed ?? [];
  const retyped = d.retyped ?? [];
  const missing = [
    ...(e.addedFields ?? []).filter((f) => !added.includes(f)).map((f) => `expected added field ${f} is not there`),
    ...(e.removedFields ?? []).filter((f) => !removed.includes(f)).map((f) => `expected removed field ${f} is still there`),
    ...(e.retypedFields ?? []).filter((f) => !retyped.some((r) => r.field === f)).map((f) => `expected retyped field ${f} kept its type`),
  ];
  const rest = {
    added: added.filter((f) => !(e.addedFields ?? []).includes(f)),
    removed: removed.filter((f) => !(e.removedFields ?? []).includes(f)),
    retyped: retyped.filter((r) => !(e.retypedFields ?? []).includes(r.field)),
  };
  const unexpected = rest.added.length + rest.removed.length + rest.retyped.length;
  const incompatible = d.compatibility ? !d.compatibility.compatible : false;
  return {
    ...m,
    status: unexpected > 0 || missing.length > 0 || incompatible ? 'Failed' : 'Successful',
    observed: unexpected + missing.length,
    detail: { ...m.detail, unexpected: rest, expectedFields: { added: e.addedFields ?? [], removed: e.removedFields ?? [], retyped: e.retypedFields ?? [] }, ...(missing.length ? { missing } : {}) },
  };
}
