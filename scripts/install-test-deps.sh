#!/usr/bin/env bash
# Installs the Debian tools that the integration tests and the fixture generators call, only
# when they are missing (idempotent: a second run changes nothing). Versions are pinned to
# Debian 12 "bookworm", the versions the retention fixtures were made with:
#   restic      0.14.0-1+b5
#   borgbackup  1.2.4-1
#   faketime    0.9.10-2.1   (the `faketime` wrapper; pulls in libfaketime)
#   openssh     1:9.2p1-2+deb12u10 (sshd for the test hosts, ssh for the transport)
#   postgresql  15.18-0+deb12u1 (a server the pg-dump test starts itself; pg_dump, pg_restore)
#   mariadb     1:10.11.18-0+deb12u1 (a server the mysql-dump test starts itself)
#   rsync       3.2.7-1+deb12u6, gnupg 2.2.40-1.1+deb12u2
#   btrfs-progs 6.2-1+deb12u2 (btrfs on loop devices), zfs-fuse 0.7.0-25+b1 (real ZFS in FUSE)
#   lxd         5.0.2-5+deb12u6 (two daemons: primary and standby; `lxc` is incus's CLI shape)
#   busybox-static 1:1.35.0-4+deb12u1+b1 (a rootfs for test containers without downloads)
#   borgmatic   1.7.7-1 (validates `backplan export --to borgmatic`; the cold-check bench's peer)
#   systemd     252.39-1~deb12u2 (`systemd-analyze calendar` checks `export --to systemd`)
#   prometheus  2.42.0+ds-5+deb12u1 (brings promtool), prometheus-node-exporter 1.5.0-1+b6,
#               prometheus-pushgateway 1.5.1-2+b5 (the monitoring tests start their own)
#   apprise     1.2.0-1, python3-aiosmtpd 1.4.3-1.1+deb12u1 (the notification tests: the real
#               apprise CLI, and an SMTP server that receives the e-mails)
#   duplicity   0.8.22-1+b3 (chains, remove-* commands; the simulate-vs-reality and round-trip tests),
#               python3-paramiko 2.12.0-2 (its sftp:// backend, a Recommends: the Alliance example's test)
#   sanoid      2.1.0-1.1 (pruner: sanoid, run on zfs-fuse by simulate-vs-reality-sanoid)
#   btrbk       0.32.5-1 (pruner: btrbk; its dry-run prune is the btrbk engine's oracle)
# On another release the pinned version may not exist: the release's own version is installed
# and a warning says so (fixtures may then disagree with the tool).
# Without root (and without passwordless sudo) nothing is installed: a warning is printed and
# the integration tests skip, or fail in CI (BACKPLAN_REQUIRE_INTEGRATION=1).
# To add a tool: add a "package=version" line to PACKAGES.
set -euo pipefail

PACKAGES=(
  "restic=0.14.0-1+b5"
  "borgbackup=1.2.4-1"
  "faketime=0.9.10-2.1"
  "openssh-server=1:9.2p1-2+deb12u10"
  "openssh-client=1:9.2p1-2+deb12u10"
  "neovim=0.7.2-7"
  "postgresql-15=15.18-0+deb12u1"
  "mariadb-server=1:10.11.18-0+deb12u1"
  "mariadb-client=1:10.11.18-0+deb12u1"
  "rsync=3.2.7-1+deb12u6"
  "gnupg=2.2.40-1.1+deb12u2"
  "btrfs-progs=6.2-1+deb12u2"
  "zfs-fuse=0.7.0-25+b1"
  "lxd=5.0.2-5+deb12u6"
  "lxd-client=5.0.2-5+deb12u6"
  "busybox-static=1:1.35.0-4+deb12u1+b1"
  "borgmatic=1.7.7-1"
  "systemd=252.39-1~deb12u2"
  "apprise=1.2.0-1"
  "python3-aiosmtpd=1.4.3-1.1+deb12u1"
  "prometheus=2.42.0+ds-5+deb12u1"
  "prometheus-node-exporter=1.5.0-1+b6"
  "prometheus-pushgateway=1.5.1-2+b5"
  "duplicity=0.8.22-1+b3"
  "python3-paramiko=2.12.0-2"
  "sanoid=2.1.0-1.1"
  "btrbk=0.32.5-1"
)

installed_version() {
  { dpkg-query -W -f='${Status} ${Version}\n' "$1" 2>/dev/null || true; } | awk '$3 == "installed" { print $4 }'
}

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
  echo "install-test-deps: not a Debian-like system; install restic, borg and faketime yourself" >&2
  exit 0
fi

missing=()
for spec in "${PACKAGES[@]}"; do
  pkg=${spec%%=*}
  want=${spec#*=}
  have=$(installed_version "$pkg")
  if [ -z "$have" ]; then
    missing+=("$spec")
  elif [ "$have" != "$want" ]; then
    echo "install-test-deps: $pkg $have is installed (fixtures were made with $want); leaving it" >&2
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO=(sudo -n)
  else
    echo "install-test-deps: missing ${missing[*]} and no root to install them; integration tests will skip" >&2
    exit 0
  fi
fi

export DEBIAN_FRONTEND=noninteractive
APT=("${SUDO[@]}" apt-get -o DPkg::Lock::Timeout=600)

# Pinned when this release has the pinned version, the release's own version otherwise.
resolve() {
  local targets=() spec pkg want
  for spec in "${missing[@]}"; do
    pkg=${spec%%=*}
    want=${spec#*=}
    if apt-cache madison "$pkg" 2>/dev/null | awk -F'|' '{ gsub(/ /, "", $2); print $2 }' | grep -qxF "$want"; then
      targets+=("$pkg=$want")
    else
      if apt-cache show "$pkg" >/dev/null 2>&1; then
        echo "install-test-deps: $pkg $want is not available here; installing this release's version" >&2
      fi
      targets+=("$pkg")
    fi
  done
  echo "${targets[@]}"
}

# shellcheck disable=SC2207
targets=($(resolve))
if ! "${APT[@]}" install -y --no-install-recommends "${targets[@]}"; then
  "${APT[@]}" update
  # shellcheck disable=SC2207
  targets=($(resolve))
  "${APT[@]}" install -y --no-install-recommends "${targets[@]}"
fi
