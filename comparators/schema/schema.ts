import { z } from 'zod';
import { parseWith } from '../../src/config/validate.ts';
import type { Check, FieldType, WindowAccumulator } from '../types.ts';
import { fieldsOf, sidePathState } from '../shared/fields.ts';
import { measurer } from '../shared/measure.ts';

export const schemaParams = z.strictObject({
  /** Fields to ignore (dotted paths), e.g. processing timestamps that differ by nature. */
  ignore: z.array(z.string()).default([]),
  /** Fail when the registry says b's schema is not compatible with a's subject. */
  requireCompatible: z.boolean().default(true),
});

export interface SchemaDiff {
  readonly added: string[];
  readonly removed: string[];
  readonly retyped: { field: string; a: string; b: string }[];
}

/** Compares two field→type maps. A type of `null` (only nulls seen) matches any type. */
export function diffFields(a: Readonly<Record<string, FieldType>>, b: Readonly<Record<string, FieldType>>, ignore: ReadonlySet<string>): SchemaDiff {
  const added = Object.keys(b).filter((f) => !(f in a) && !ignore.has(f)).sort();
  const removed = Object.keys(a).filter((f) => !(f in b) && !ignore.has(f)).sort();
  const retyped: SchemaDiff['retyped'] = [];
  for (const f of Object.keys(a).sort()) {
    const ta = a[f];
    const tb = b[f];
    if (ta === undefined || tb === undefined || ignore.has(f) || ta === tb || ta === 'null' || tb === 'null') continue;
    retyped.push({ field: f, a: ta, b: tb });
  }
  return { added, removed, retyped };
}

/**
 * schema — field names and types on both sides: from the registry for Avro,
 * inferred from the window's values for JSON. A field is present if any record
 * has it; a field seen only as null has no type yet and retypes nothing, so a
 * nulled field is the null-rate check's finding, not this one's.
 */
export function schemaCheck(name: string, params: unknown): Check {
  const p = parseWith(schemaParams, params ?? {}, `check ${name} (schema)`);
  const ignore = new Set(p.ignore);
  return {
    name,
    type: 'schema',
    open(window): WindowAccumulator {
      const { byPath: seen, slots } = sidePathState(() => ({ types: 0 }));
      const counts = { a: 0, b: 0 };
      return {
        add(side, record) {
          counts[side]++;
          const { shape, values } = fieldsOf(record);
          const s = slots[side].of(shape);
          for (let i = 0; i < values.length; i++) s[i]!.types |= typeBit(values[i]);
        },
        finish(ctx) {
          const m = measurer(name, 'schema', window);
          const records = counts.a + counts.b;
          if (counts.a === 0 || counts.b === 0) {
            return [m({ metric: 'fields', status: 'Inconclusive', observed: null, expected: 0, threshold: 0, records, detail: { reason: `no records on side ${counts.a === 0 ? 'a' : 'b'}` } })];
          }
          const fa = ctx.a.schemaFields ?? collapse(seen.a);
          const fb = ctx.b.schemaFields ?? collapse(seen.b);
          const diff = diffFields(fa, fb, ignore);
          const differences = diff.added.length + diff.removed.length + diff.retyped.length;
          const incompatible = p.requireCompatible && ctx.compatibility !== undefined && !ctx.compatibility.compatible;
          return [
            m({
              metric: 'fields',
              status: differences > 0 || incompatible ? 'Failed' : 'Successful',
              observed: differences,
              expected: 0,
              threshold: 0,
              records,
              detail: {
                ...diff,
                source: { a: ctx.a.schemaFields ? 'registry' : 'inferred', b: ctx.b.schemaFields ? 'registry' : 'inferred' },
                ...(ctx.compatibility ? { compatibility: ctx.compatibility } : {}),
              },
            }),
          ];
        },
      };
    },
  };
}

/** Type bits, in the order of TYPE_NAMES. */
const TYPE_NAMES: readonly FieldType[] = ['null', 'boolean', 'number', 'string', 'bytes', 'array', 'record'];

function typeBit(v: unknown): number {
  switch (typeof v) {
    case 'number':
    case 'bigint':
      return 4;
    case 'string':
      return 8;
    case 'boolean':
      return 2;
    case 'undefined':
      return 1;
    default:
      if (v === null) return 1;
      if (Buffer.isBuffer(v)) return 16;
      return Array.isArray(v) ? 32 : 64;
  }
}

/** One type per field: nulls drop out; several non-null types read as a union (`number|string`). */
function collapse(types: Map<string, { types: number }>): Record<string, FieldType> {
  const out: Record<string, FieldType> = {};
  for (const [f, { types: bits }] of types) {
    const nonNull = TYPE_NAMES.filter((_, i) => i > 0 && bits & (1 << i)).sort();
    out[f] = nonNull.length === 0 ? 'null' : nonNull.join('|');
  }
  return out;
}
