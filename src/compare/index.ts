/** The comparison as a library (the orchestrator calls it in live mode). */
export { createComparison, type Comparison, type ComparisonSpec, type ComparisonDeps, type StepOptions } from './comparison.ts';
export type { InputFloor } from './side-state.ts';
export { resolveCompareConfig, loadCompareConfig, compareConfigSchema, type CompareConfig, type CompareConfigInput } from './config.ts';
export type { ReaderSpec } from './side.ts';
export { REPORT_SCHEMA, type ComparisonReport } from './report/model.ts';
export { renderJson } from './report/json.ts';
export { renderTerminal } from './report/terminal.ts';
export { renderHtml } from './report/html.ts';
export { ReportHistory, listReportHistory, REPORT_HISTORY_DIR, REPORT_HISTORY_KEEP, type ReportEntry } from './report/history.ts';
export { assess } from '../analysis/assess.ts';
