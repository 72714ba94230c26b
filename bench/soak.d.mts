// Types of soak.mjs, for test/lsp/soak.test.ts.
export interface SoakOptions {
  edits?: number;
  seed?: number;
  /** The server bundle (default dist/server.js). */
  server?: string;
  /** Edits between two RSS samples. */
  sampleEvery?: number;
  nodeArgs?: string[];
  log?: (message: string) => void;
  /** Ends the run early (with its result so far). */
  signal?: AbortSignal;
  beforeStop?: (proc: import('node:child_process').ChildProcess) => Promise<void>;
}
export interface MemoryTrend {
  first: number;
  last: number;
  growth: number;
  max: number;
}
export interface SoakResult {
  edits: number;
  seed: number;
  seconds: number;
  crashes: { what: string; detail: string }[];
  restarts: number;
  requests: number;
  cancelled: number;
  slowest: { ms: number; what: string };
  answers: Record<string, { n: number; max: number; maxAt?: string; mean: number; over1s: number; maxCpu: number }>;
  /** The answer that cost the server the most CPU (ms) between the question and the answer. */
  mostCpu: { ms: number; what: string };
  slowestCheck: { max: number; at: string };
  editKinds: Record<string, number>;
  rss: { edit: number; mb: number }[];
  memory: MemoryTrend;
}
export function soak(options?: SoakOptions): Promise<SoakResult>;
export function memoryTrend(samples: { edit: number; mb: number }[]): MemoryTrend;
