// The comparison worker's entry. A worker thread does not inherit the module hooks
// of the thread that started it, so it registers tsx's loader before importing the
// TypeScript sources (a second registration under `node --import tsx` is harmless).
import { register } from 'tsx/esm/api';

register();
await import('./worker.ts');
