// A plan with one job in each status state (fresh ok, stale late, broken failed, newbie never,
// parked disabled) once test/unit/ops/status.test.ts writes its history.
export const STATUS_PLAN = `version: 1
timezone: UTC
monitoring: { textfile: metrics/backplan.prom }
hosts:
  here: { site: home }
storage:
  disk: { host: here, media: ssd, path: /srv/backups }
jobs:
  fresh:
    kind: archive
    host: here
    paths: [/srv/a]
    to: disk
    schedule: "0 3 * * *"
    rpo: 1d
    retention: { keep: { last: 3 } }
    verify: { schedule: "0 5 * * 0", restore: latest }
  stale:
    kind: archive
    host: here
    paths: [/srv/b]
    to: disk
    schedule: "0 3 * * *"
    rpo: 1d
    retention: { keep: { last: 3 } }
  broken:
    kind: archive
    host: here
    paths: [/srv/c]
    to: disk
    schedule: "0 3 * * *"
    retention: { keep: { last: 3 } }
  newbie:
    kind: archive
    host: here
    paths: [/srv/d]
    to: disk
    schedule: "0 */6 * * *"
    retention: { keep: { last: 3 } }
  parked:
    kind: archive
    host: here
    paths: [/srv/e]
    to: disk
    enabled: false
    retention: { keep: { last: 3 } }
checks: { coverage-3-2-1: off }
`;
