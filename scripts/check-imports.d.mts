// Types of scripts/check-imports.mjs for its test.
export interface ImportViolation { readonly path: string; readonly target: string; readonly reason: string }
export function moduleOf(path: string): string | undefined;
export const ALLOWED: Record<string, readonly string[]>;
export function importsOf(text: string): string[];
export function checkImports(files: readonly { path: string; text: string }[]): ImportViolation[];
export function checkRepository(root: string): { files: number; violations: ImportViolation[] };
