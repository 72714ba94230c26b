// Restoring an `openstack-image` copy through the `openstack` CLI on the job's host, with its
// --os-cloud and OS_PASSWORD, each object back the way the backup made it
// (drivers/openstack-image.ts):
// - an instance snapshot (flavor compute) becomes a new server: `openstack server create --image
//   IMAGE --flavor F [--network N]... --wait NAME`, the flavor and networks from the job's
//   `restore: {flavor, network}` (the server the image came from may be gone);
// - an image of a volume becomes a new volume: `openstack volume create --image IMAGE --size GiB
//   NAME`, the size read from the image (`image show`: min_disk, else its virtual size);
// - a Cinder snapshot (a persistent job with `storage` and no `to`) becomes a new volume:
//   `openstack volume create --snapshot SNAPSHOT NAME`.
// A copy is one run: its images (or snapshots) share the run's name, the data volumes' with
// -v1, -v2 ... after it, as the driver names them; only a run whose every object is active
// (available) is a copy. `--to NAME` names the server (and NAME-v1 ... its volumes); nothing
// is ever rebuilt over an existing server or volume, so `--in-place` is refused.
// Syntax: python-openstackclient's server create (`--flavor <flavor> (--image <image> | ...)
// [--network <network>] [--wait] <server-name>`), volume create (`[--size <size>] [--image
// <image> | --snapshot <snapshot> | ...] <name>`, --size required unless --snapshot or
// --source), image list/show and volume snapshot list (`-f json`). Not run here: checked with
// a stub program.
import { nameProblem } from '../exec/quote';
import { Kit } from '../steps/driver-kit';
import { nameTimeParser } from '../steps/names';
import type { CommandStep } from '../steps/step';
import { backupStep, storageOf, zoneOf } from './common';
import { runToolChecked, toolAction, toolCommand } from './tool';
import { RestoreError, type KindContext, type RestoreCopy, type RestorePart, type ToolRestorer } from './types';

type PartKind = 'server' | 'image' | 'snapshot';

interface Layout {
  /** `openstack [--os-cloud=C]`. */
  os: string[];
  /** What each run makes: the suffix after the run's name, and how it is restored. */
  parts: { suffix: string; kind: PartKind }[];
  snapshots: boolean;
}

const SUBCOMMANDS = new Set(['server', 'image', 'volume']);

/** What the job's backup steps make, read from their argv (the driver's own output). */
function layout(ctx: KindContext): Layout {
  const steps = ctx.steps.filter((s): s is CommandStep => s.type === 'command' && s.phase === 'backup');
  if (!steps.length) backupStep(ctx, 'openstack-image');
  const first = steps[0].argv;
  const os = first.slice(
    0,
    first.findIndex((a) => SUBCOMMANDS.has(a)),
  );
  const made = steps.map((s) => {
    const rest = s.argv.slice(os.length);
    if (rest[0] === 'server') return { name: rest[rest.indexOf('--name') + 1], kind: 'server' as const };
    return { name: rest[rest.length - 1], kind: rest[0] === 'volume' ? ('snapshot' as const) : ('image' as const) };
  });
  const server = made.find((m) => m.kind === 'server');
  const base = server ? server.name : made.length > 1 ? made[0].name.replace(/-v\d+$/, '') : made[0].name;
  return {
    os,
    parts: made.map((m) => ({ suffix: m.name.slice(base.length), kind: m.kind })),
    snapshots: made.some((m) => m.kind === 'snapshot'),
  };
}

function parser(ctx: KindContext): (name: string) => number | undefined {
  const named = new Kit(ctx.job, ctx.plan, { now: 0 }).copyName(`${ctx.job.name}-`);
  if (!named) return () => undefined;
  return nameTimeParser(named.match, ctx.job.raw.pattern, zoneOf(ctx.job, ctx.plan));
}

function copyOf(ctx: KindContext, l: Layout, base: string, time: number): RestoreCopy {
  const parts: RestorePart[] = l.parts.map((p) => ({
    name: `${base}${p.suffix}`,
    ...(p.kind !== 'server' ? { volume: true } : {}),
  }));
  return { name: base, time, path: base, host: backupStep(ctx).host, storage: storageOf(ctx.job), parts };
}

/** `[{"Name": ..., "Status": ...}]` from `-f json`. */
function rows(text: string, what: string): { name: string; status: string }[] {
  let v: unknown;
  try {
    v = JSON.parse(text || '[]');
  } catch {
    throw new RestoreError(`${what} -f json did not print JSON`);
  }
  if (!Array.isArray(v)) throw new RestoreError(`${what} -f json did not print a list`);
  return v
    .map((r) => r as Record<string, unknown>)
    .filter((r) => typeof r.Name === 'string')
    .map((r) => ({ name: r.Name as string, status: String(r.Status ?? '').toLowerCase() }));
}

/** GiB a volume made from an image needs: its min_disk, else its virtual size (else its size), rounded up. */
export function imageSizeGb(show: Record<string, unknown>): number | undefined {
  const gib = (v: unknown) => (typeof v === 'number' && v > 0 ? Math.ceil(v / 2 ** 30) : 0);
  const min = typeof show.min_disk === 'number' ? show.min_disk : 0;
  const n = Math.max(min, gib(show.virtual_size)) || gib(show.size);
  return n > 0 ? n : undefined;
}

function restoreConfig(ctx: KindContext): { flavor?: string; networks: string[] } {
  const r = (ctx.job.raw.restore ?? {}) as Record<string, unknown>;
  const net = r.network;
  const networks = net === undefined ? [] : Array.isArray(net) ? net : [net];
  for (const n of networks)
    if (nameProblem(n)) throw new RestoreError(`job ${ctx.job.name}: restore.network ${nameProblem(n)}`);
  if (r.flavor !== undefined && nameProblem(r.flavor))
    throw new RestoreError(`job ${ctx.job.name}: restore.flavor ${nameProblem(r.flavor)}`);
  return { ...(typeof r.flavor === 'string' ? { flavor: r.flavor } : {}), networks: networks as string[] };
}

export const openstackImageRestorer: ToolRestorer = {
  target: 'tool',
  placeholder: '<new server or volume name>',
  async list(ctx) {
    const l = layout(ctx);
    const what = l.snapshots ? ['volume', 'snapshot', 'list'] : ['image', 'list'];
    const out = await runToolChecked(
      ctx,
      toolCommand(ctx, [...l.os, ...what, '-f', 'json']),
      `cannot list the ${l.snapshots ? 'volume snapshots' : 'images'} of ${ctx.job.name}`,
    );
    const good = l.snapshots ? 'available' : 'active';
    const status = new Map(rows(out, `openstack ${what.join(' ')}`).map((r) => [r.name, r.status]));
    const timeOf = parser(ctx);
    const copies: RestoreCopy[] = [];
    for (const name of status.keys()) {
      const time = timeOf(name);
      if (time === undefined) continue;
      const c = copyOf(ctx, l, name, time);
      if (c.parts!.every((p) => status.get(p.name) === good)) copies.push(c);
    }
    copies.sort((a, b) => b.time - a.time || (a.name < b.name ? 1 : -1));
    return {
      storage: storageOf(ctx.job),
      copies,
      why: `the job's ${l.snapshots ? 'Cinder snapshots (available)' : 'Glance images (active)'}`,
    };
  },
  named(ctx, name) {
    if (nameProblem(name)) return undefined;
    return copyOf(ctx, layout(ctx), name, parser(ctx)(name) ?? 0);
  },
  async describe(ctx, copy) {
    const l = layout(ctx);
    const parts: RestorePart[] = [];
    for (const p of copy.parts ?? []) {
      if (!p.volume || l.snapshots) {
        parts.push(p);
        continue;
      }
      const out = await runToolChecked(
        ctx,
        toolCommand(ctx, [...l.os, 'image', 'show', '-f', 'json', p.name]),
        `cannot read image ${p.name}`,
      );
      let show: Record<string, unknown> = {};
      try {
        show = JSON.parse(out) as Record<string, unknown>;
      } catch {
        throw new RestoreError(`openstack image show -f json ${p.name} did not print JSON`);
      }
      const sizeGb = imageSizeGb(show);
      parts.push({ ...p, ...(sizeGb !== undefined ? { sizeGb } : {}) });
    }
    return { ...copy, parts };
  },
  restore(ctx, copy, req) {
    if (req.inPlace)
      throw new RestoreError(
        '--in-place is refused for openstack-image: a server or volume is never rebuilt over; restore under a new ' +
          'name with --to NAME and switch over to it',
      );
    const to = req.to ?? '';
    const bad = req.placeholder ? undefined : nameProblem(to);
    if (bad) throw new RestoreError(`--to (the new server or volume name) ${bad}`);
    const l = layout(ctx);
    const cfg = restoreConfig(ctx);
    const actions = l.parts.map((p, i) => {
      const part = copy.parts?.[i] ?? { name: `${copy.name}${p.suffix}` };
      const name = `${to}${p.suffix}`;
      if (p.kind === 'server') {
        if (!cfg.flavor && !req.placeholder)
          throw new RestoreError(
            `job ${ctx.job.name}: a server restored from ${part.name} needs its Nova flavor: set \`restore.flavor\` ` +
              '(and `restore.network`) on the job',
          );
        const argv = [
          ...l.os,
          'server',
          'create',
          '--image',
          part.name,
          '--flavor',
          cfg.flavor ?? '<flavor>',
          ...cfg.networks.flatMap((n) => ['--network', n]),
          '--wait',
          name,
        ];
        return toolAction(ctx, `server ${name} from instance snapshot ${part.name}`, toolCommand(ctx, argv));
      }
      if (p.kind === 'snapshot') {
        const argv = [...l.os, 'volume', 'create', '--snapshot', part.name, name];
        return toolAction(ctx, `volume ${name} from snapshot ${part.name}`, toolCommand(ctx, argv));
      }
      const size = part.sizeGb !== undefined ? String(part.sizeGb) : `<GiB of ${part.name}>`;
      const argv = [...l.os, 'volume', 'create', '--image', part.name, '--size', size, name];
      const a = toolAction(ctx, `volume ${name} (${size} GiB) from image ${part.name}`, toolCommand(ctx, argv));
      return {
        ...a,
        async run() {
          if (part.sizeGb === undefined)
            throw new RestoreError(`the size of image ${part.name} is unknown; nothing was created`);
          await a.run();
        },
      };
    });
    const made = l.parts.map((p) => `${p.kind === 'server' ? 'server' : 'volume'} ${to}${p.suffix}`);
    return {
      actions,
      target: made.join(', '),
      notes: l.parts.some((p) => p.kind !== 'server')
        ? [
            'Cinder builds a volume after `volume create` returns: `openstack volume show NAME -c status` says ' +
              'when it is available',
          ]
        : [],
    };
  },
};
