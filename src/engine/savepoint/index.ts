/** The savepoint format's public surface (design.md §4); see docs/savepoints.md. */
export { writeSavepoint, type WriteResult } from './write.ts';
export { readSavepoint, readSavepointMetadata, verifySavepoint, type VerifyReport, type FileCheck } from './read.ts';
export { codecs, CURRENT_FORMAT_VERSION } from './codecs.ts';
export { inspectSavepoint, readStateLines, readStateEntries, type SavepointSummary, type StateEntryRead } from './inspect.ts';
export { disposeSavepoint } from './dispose.ts';
export { transformSavepoint, transformSnapshot, type StateTransform, type StateEntryView } from './processor.ts';
export { METADATA_FILE, type SavepointMetadata, type OperatorMetadata, type DataFileRef } from './metadata.ts';
