// A step as JSON, for `backplan plan --format json` and the editor's dry-run view: the same
// shape from both faces. Secrets appear as references only (EnvValue), never as values.
import { formatStep, type ArchiveOp, type EnvValue, type Inventory, type Step, type ToolConfigOp } from './step';

export interface StepJson {
  id: string;
  job: string;
  phase: string;
  host: string;
  description: string;
  /** One line: host and argv as a user would read them. */
  display: string;
  argv?: string[];
  pipe?: { host: string; argv: string[] }[];
  env?: Record<string, EnvValue>;
  builtin?: ArchiveOp;
  config?: ToolConfigOp;
  prune?: { engine: string; timezone: string; min: number; inventory: Inventory };
  notes?: string[];
}

export function stepToJson(step: Step): StepJson {
  const base: StepJson = {
    id: step.id,
    job: step.job,
    phase: step.phase,
    host: step.host,
    description: step.description,
    display: formatStep(step),
    ...(step.notes ? { notes: step.notes } : {}),
  };
  const piped = step.type === 'command' || step.type === 'builtin' ? step.pipe : undefined;
  const pipe = piped ? { pipe: piped.map((c) => ({ host: c.host, argv: c.argv })) } : {};
  switch (step.type) {
    case 'command':
      return { ...base, argv: step.argv, ...pipe, ...(step.env ? { env: step.env } : {}) };
    case 'builtin':
      return { ...base, builtin: step.builtin, ...pipe };
    case 'tool-config':
      return { ...base, config: step.config };
    case 'prune':
      return {
        ...base,
        prune: {
          engine: step.prune.engine,
          timezone: step.prune.timezone,
          min: step.prune.min,
          inventory: step.prune.inventory,
        },
      };
  }
}
