#!/bin/sh
# Installs the virt-overhead agent on a guest (or a native baseline host) in one command,
# offline: sysbench from the distribution, the agent under /opt/virt-overhead, its config in
# /etc/virt-overhead/agent.yaml and a systemd unit that brings it back after every reboot.
# Running it again changes nothing; --uninstall removes what it added; --dry-run only prints.
# Usage: see usage() below or run with --help.
set -eu
umask 022

PROG=install-agent.sh
SCRIPT_DIR=$(cd "$(dirname "$0")" && pwd)

usage() {
  cat <<'EOF'
usage: install-agent.sh --collector HOST:PORT [options]      install or update the agent
       install-agent.sh --uninstall [--keep-state] [--root DIR]
Source (default: the project copy this script sits in):
  --from PATH            the agent file for this architecture (virt-overhead-agent-X.Y.Z-linux-x86_64
                         or -aarch64: Node.js inside, nothing else needed), a folder holding the agent
                         files (the one for this machine is picked), a single-file bundle
                         (virt-overhead-agent-X.Y.Z.mjs, needs Node.js >= 20), an `npm pack` tarball
                         (virt-overhead-X.Y.Z.tgz) or a project copy (built: dist/ and node_modules/)
  --arch ARCH            the machine's architecture as `uname -m` says it (default: this machine's;
                         give it with --root for an image of another architecture)
Agent settings (written to /etc/virt-overhead/agent.yaml; a re-run keeps what you do not pass):
  --collector HOST:PORT  where the collector listens (required on first install)
  --agent-id ID          this agent's id, as its token names it (default: the hostname)
  --token-file PATH      file holding this agent's token (kept where it is)
  --token TOKEN          write TOKEN to /etc/virt-overhead/token (or set VIRT_OVERHEAD_INSTALL_TOKEN)
  --group G  --role baseline|guest  --variant V  --profile seed|quick|FILE
  --interval 6h --jitter 10m       the schedule
Run mode:
  --timer                a systemd timer starts 'agent --once' every --interval (default: nothing
                         stays resident between runs; the interval must divide a day: 1h..24h)
  --daemon               the agent stays resident and keeps its own schedule
  --tls-ca F --tls-cert F --tls-key F --tls-server-name N   --allow-plaintext
Install:
  --node PATH            the Node.js (>= 20) to run a bundle, tarball or project copy with
                         (default: `node` on PATH; an agent file needs none)
  --skip-sysbench        do not install sysbench (it must be on PATH when the agent runs)
  --sysbench-deb PATH    install sysbench offline from a local .deb, or from a folder of .debs
                         (sysbench and the dependencies the machine lacks: `apt-get download`)
  --no-enable            install files only; do not enable or start the systemd unit
  --root DIR             install into DIR instead of / (image building, tests; also
                         VIRT_OVERHEAD_INSTALL_ROOT); systemd is enabled offline with systemctl --root
  --dry-run              print what would be done, change nothing
  --uninstall            remove everything this script added (state too, unless --keep-state)
EOF
}

die() { printf '%s: error: %s\n' "$PROG" "$*" >&2; exit 1; }
say() { printf '%s\n' "$*"; }

# ---- arguments -------------------------------------------------------------------------
ROOT=${VIRT_OVERHEAD_INSTALL_ROOT:-}
RUN_MODE='' MODE=install DRY=0 KEEP_STATE=0 ENABLE=1 SKIP_SYSBENCH=0 SYSBENCH_DEB='' FROM='' NODE_ARG='' ARCH=''
TOKEN=${VIRT_OVERHEAD_INSTALL_TOKEN:-}
# Managed agent.yaml keys, in file order; each given on the command line becomes SET_<key>.
KEYS='collector agent_id group role variant profile interval jitter token_file tls_ca tls_cert tls_key tls_server_name allow_plaintext workdir'

need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "option $1 needs a value (see --help)"; }
# Every value this script writes into a file (agent.yaml, a unit, the token) is one line of
# printable text: a newline would split agent.yaml, a control character is never a setting,
# and '|' is the separator of the unit templates' sed. Refused before anything is written.
check_value() { # OPTION VALUE
  case $2 in *'|'*) die "$1: value may not contain '|': $(printf '%s' "$2" | od -An -c | tr -s ' ' | head -c 120)" ;; esac
  if printf '%s' "$2" | LC_ALL=C grep -q '[[:cntrl:]]' || [ "$(printf '%s\n' "$2" | wc -l)" -ne 1 ]; then
    die "$1: value may not contain a newline or a control character: $(printf '%s' "$2" | od -An -c | tr -s ' ' | head -c 120)"
  fi
}
# A duration as both the agent and systemd read it: a whole number with a unit.
check_duration() { # OPTION VALUE
  printf '%s' "$2" | grep -Eqx '[0-9]+(ms|s|m|h|d|w)' || die "$1 must be a duration: a whole number with a unit (ms, s, m, h, d or w), e.g. 10m; not '$2'"
}
while [ $# -gt 0 ]; do
  case $1 in
    -h|--help) usage; exit 0 ;;
    --dry-run) DRY=1 ;;
    --uninstall) MODE=uninstall ;;
    --keep-state) KEEP_STATE=1 ;;
    --no-enable) ENABLE=0 ;;
    --timer) RUN_MODE=timer ;;
    --daemon) RUN_MODE=daemon ;;
    --skip-sysbench) SKIP_SYSBENCH=1 ;;
    --sysbench-deb) need_value "$@"; check_value "$1" "$2"; SYSBENCH_DEB=$2; shift ;;
    --allow-plaintext) SET_allow_plaintext=true ;;
    --root) need_value "$@"; check_value "$1" "$2"; ROOT=$2; shift ;;
    --from) need_value "$@"; check_value "$1" "$2"; FROM=$2; shift ;;
    --node) need_value "$@"; check_value "$1" "$2"; NODE_ARG=$2; shift ;;
    --arch) need_value "$@"; check_value "$1" "$2"; ARCH=$2; shift ;;
    --token) need_value "$@"; TOKEN=$2; shift ;;
    --collector|--agent-id|--group|--role|--variant|--profile|--interval|--jitter|--token-file|--tls-ca|--tls-cert|--tls-key|--tls-server-name)
      need_value "$@"
      key=$(printf '%s' "${1#--}" | tr - _)
      case $2 in *'"'*|*'\'*) die "$1: value may not contain quotes or backslashes: $2" ;; esac
      check_value "$1" "$2"
      case $1 in --interval|--jitter) check_duration "$1" "$2" ;; esac
      eval "SET_$key=\$2"
      shift ;;
    *) die "unknown option '$1' (see --help)" ;;
  esac
  shift
done

[ -z "$TOKEN" ] || check_value '--token (or VIRT_OVERHEAD_INSTALL_TOKEN)' "$TOKEN"
if [ -n "$ROOT" ]; then
  [ -d "$ROOT" ] || die "--root $ROOT: no such directory"
  ROOT=$(cd "$ROOT" && pwd)
  [ "$ROOT" = / ] && ROOT=''
fi
if [ -n "${SET_role:-}" ]; then
  case $SET_role in baseline|guest) ;; *) die "--role must be baseline or guest, not '$SET_role'" ;; esac
fi
if [ -n "${SET_collector:-}" ]; then
  case $SET_collector in *?:[0-9]*) ;; *) die "--collector must be HOST:PORT (e.g. 10.0.0.5:50051), not '$SET_collector'" ;; esac
fi
if [ -n "$TOKEN" ] && [ -n "${SET_token_file:-}" ]; then die "give --token or --token-file, not both"; fi

# ---- where things go -------------------------------------------------------------------
UNIT=virt-overhead-agent.service
APP=/opt/virt-overhead                 # bin/ (wrapper), lib/ (the package), install.manifest
CONF_DIR=/etc/virt-overhead
CONF=$CONF_DIR/agent.yaml
TOKEN_PATH=$CONF_DIR/token
UNIT_PATH=/etc/systemd/system/$UNIT
DROPIN_DIR=/etc/systemd/system/$UNIT.d
DROPIN=$DROPIN_DIR/token.conf
KVM_DROPIN=$DROPIN_DIR/kvm.conf
TIMER_DROPIN=$DROPIN_DIR/timer.conf
TIMER=virt-overhead-agent.timer
TIMER_PATH=/etc/systemd/system/$TIMER
LINK=/usr/local/bin/virt-overhead
STATE=/var/lib/virt-overhead
MANIFEST=$APP/install.manifest
SYSTEMD_RUNNING=0
[ -z "$ROOT" ] && [ -d /run/systemd/system ] && SYSTEMD_RUNNING=1

CHANGED=0
note_change() { CHANGED=1; say "$*"; }

# Every change goes through these helpers so that --dry-run prints instead of doing.
run() {
  if [ "$DRY" = 1 ]; then say "would run: $*"; return 0; fi
  say "+ $*"
  "$@"
}
CREATED_DIRS=''
ensure_dir() { # absolute path inside the root; remembers directories it had to create
  [ -d "$ROOT$1" ] && return 0
  parent=$(dirname "$1")
  [ "$parent" != "$1" ] && ensure_dir "$parent"
  if [ "$DRY" = 1 ]; then say "would create directory $1"; return 0; fi
  mkdir "$ROOT$1"
  CREATED_DIRS="$1 $CREATED_DIRS"
  note_change "created directory $1"
}
# put_file PATH MODE CONTENT: writes only when content or mode differ (idempotence).
# Content comes as an argument, not a pipe: a pipe would run this in a subshell and lose
# what it records (CHANGED, CREATED_DIRS).
put_file() {
  # mv onto a directory would move the file into it and report success.
  [ -d "$ROOT$1" ] && die "cannot write $1: it is a directory"
  tmp=$(mktemp)
  printf '%s\n' "$3" >"$tmp"
  if [ -f "$ROOT$1" ] && cmp -s "$tmp" "$ROOT$1" && [ "$(stat -c %a "$ROOT$1")" = "$2" ]; then rm -f "$tmp"; return 0; fi
  if [ "$DRY" = 1 ]; then say "would write $1 (mode $2)"; rm -f "$tmp"; return 0; fi
  ensure_dir "$(dirname "$1")"
  chmod "$2" "$tmp"
  mv -f "$tmp" "$ROOT$1"
  note_change "wrote $1"
}
remove() { # remove PATH...: files, symlinks or trees inside the root, if present
  for p in "$@"; do
    [ -e "$ROOT$p" ] || [ -L "$ROOT$p" ] || continue
    if [ "$DRY" = 1 ]; then say "would remove $p"; continue; fi
    rm -rf "$ROOT$p"
    say "removed $p"
  done
}

# ---- the package manager (sysbench) -------------------------------------------------------
find_pm() {
  for pm in apt-get dnf yum zypper; do
    if command -v "$pm" >/dev/null 2>&1; then printf '%s' "$pm"; return 0; fi
  done
  return 1
}
# pm_command PM install|remove: the command line, pointed at the root when there is one.
pm_run() {
  pm=$1 action=$2
  case $pm in
    apt-get)
      [ "$action" = remove ] && action=purge
      set -- apt-get -y -q
      [ -n "$ROOT" ] && set -- "$@" -o "RootDir=$ROOT"
      [ "$action" = install ] && set -- "$@" --no-install-recommends
      DEBIAN_FRONTEND=noninteractive; export DEBIAN_FRONTEND
      # shellcheck disable=SC2086 # DEB_FILES: absolute .deb paths without spaces (checked)
      if [ "$action" = install ] && [ -n "$DEB_FILES" ]; then run "$@" install $DEB_FILES
      else run "$@" "$action" sysbench; fi ;;
    dnf|yum)
      set -- "$pm" -y
      [ -n "$ROOT" ] && set -- "$@" "--installroot=$ROOT"
      run "$@" "$action" sysbench ;;
    zypper)
      set -- zypper --non-interactive
      [ -n "$ROOT" ] && set -- "$@" --root "$ROOT"
      run "$@" "$action" sysbench ;;
  esac
}
# --sysbench-deb PATH: the .deb files to give apt-get (it installs local files offline and
# resolves sysbench's dependencies among them and what is installed). Checked before anything
# is written: it exists, it holds a package named sysbench, no path has a space.
DEB_FILES=''
check_sysbench_deb() {
  [ -n "$SYSBENCH_DEB" ] || return 0
  [ "$SKIP_SYSBENCH" = 0 ] || die "--sysbench-deb and --skip-sysbench contradict each other: give one"
  case $SYSBENCH_DEB in /*) p=$SYSBENCH_DEB ;; *) p=$(pwd)/$SYSBENCH_DEB ;; esac
  case $p in *' '*) die "--sysbench-deb $SYSBENCH_DEB: the path may not contain a space" ;; esac
  [ ! -d "$p" ] || [ -z "$(find "$p" -maxdepth 1 -name '* *.deb')" ] || die "--sysbench-deb $SYSBENCH_DEB: a .deb name in it has a space"
  if [ -d "$p" ]; then DEB_FILES=$(find "$p" -maxdepth 1 -name '*.deb' -type f | sort | tr '\n' ' ')
  elif [ -f "$p" ]; then
    case $p in *.deb) DEB_FILES=$p ;; *) die "--sysbench-deb $SYSBENCH_DEB: not a .deb file (give sysbench_*.deb or a folder of .debs)" ;; esac
  else die "--sysbench-deb $SYSBENCH_DEB: no such file or folder"; fi
  [ -n "$DEB_FILES" ] || die "--sysbench-deb $SYSBENCH_DEB: the folder holds no .deb file"
  found=0
  for f in $DEB_FILES; do
    [ "$(dpkg-deb -f "$f" Package 2>/dev/null)" = sysbench ] && found=1
  done
  [ "$found" = 1 ] || die "--sysbench-deb $SYSBENCH_DEB: no package named sysbench in it (dpkg-deb -f FILE Package)"
  [ "$(find_pm)" = apt-get ] || die "--sysbench-deb needs apt-get (Debian, Ubuntu); on this system install sysbench with its package manager"
}
have_sysbench() {
  if [ -n "$ROOT" ]; then
    for d in /usr/bin /usr/local/bin /bin; do [ -x "$ROOT$d/sysbench" ] && return 0; done
    return 1
  fi
  command -v sysbench >/dev/null 2>&1
}

# ---- Node.js ------------------------------------------------------------------------------
node_help() {
  agent_file=virt-overhead-agent-VERSION-linux-$TARGET_ARCH
  case $TARGET_ARCH in x86_64|aarch64) ;; *) agent_file='' ;; esac
  if [ -n "$agent_file" ]; then
    printf '%s\n' "Simplest: the agent file for this machine, $agent_file (from the same release as the" \
      "bundle; deploy/bundle.sh builds it), carries its own Node.js: --from $agent_file" >&2
  fi
  cat >&2 <<'EOF'
Or install Node.js 20 or newer for the bundle, then run this command again:
  Debian 13, Ubuntu 24.04 and newer:  apt-get install nodejs
  Fedora, RHEL/Alma/Rocky 9:          dnf install nodejs   (RHEL 9: dnf module install nodejs:20)
  openSUSE / SLES:                    zypper install nodejs20
  Older or offline systems:           copy node-v20.x.y-linux-<arch>.tar.xz (https://nodejs.org/dist/)
                                      to the guest, then: tar -C /usr/local --strip-components=1 -xJf node-v20*.tar.xz
Or point this installer at a Node.js elsewhere: --node /path/to/bin/node
EOF
}
# Sets NODE and version; false when there is no Node.js >= 20 (NODE empty: none at all).
find_node_quietly() {
  NODE=${NODE_ARG:-$(command -v node 2>/dev/null || true)}
  version=''
  [ -n "$NODE" ] && [ -x "$NODE" ] || { NODE=''; return 1; }
  NODE=$(cd "$(dirname "$NODE")" && pwd)/$(basename "$NODE")
  version=$("$NODE" -p 'process.versions.node' 2>/dev/null || echo unknown)
  major=${version%%.*}
  case $major in ''|*[!0-9]*) major=0 ;; esac
  [ "$major" -ge 20 ]
}
find_node() {
  find_node_quietly && return 0
  if [ -z "$NODE" ]; then printf '%s: error: Node.js not found%s.\n' "$PROG" "${NODE_ARG:+ at $NODE_ARG}" >&2
  else printf '%s: error: Node.js %s at %s is too old.\n' "$PROG" "$version" "$NODE" >&2; fi
  node_help; exit 1
}

# ---- the machine's architecture, and agent files -------------------------------------------
# `uname -m` names; the agent files are built for these two (deploy/bundle.mjs ARCHES).
AGENT_FILE_ARCHES='x86_64 aarch64'
resolve_arch() {
  TARGET_ARCH=${ARCH:-$(uname -m)}
  case $TARGET_ARCH in amd64) TARGET_ARCH=x86_64 ;; arm64) TARGET_ARCH=aarch64 ;; esac
}
# ELF e_machine (2 bytes at offset 18, little-endian on both architectures) as a `uname -m` name.
elf_arch() {
  [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ] || return 1
  case $(od -An -tu2 -j18 -N2 "$1" | tr -d ' ') in
    62) echo x86_64 ;; 183) echo aarch64 ;; *) echo "machine-$(od -An -tu2 -j18 -N2 "$1" | tr -d ' ')" ;;
  esac
}
# A folder of release files (deploy/bundle.sh --out-dir): the agent file for TARGET_ARCH, else the
# .mjs where a Node.js >= 20 is here, else a clear no.
pick_from_folder() {
  dir=$1
  set -- "$dir"/virt-overhead-agent-*-linux-"$TARGET_ARCH"
  [ $# -gt 1 ] && die "$dir holds several agent files for $TARGET_ARCH ($*): pass one with --from FILE"
  if [ -f "$1" ]; then FROM=$1; return 0; fi
  # (|| true: with no agent file the loop's last test fails, and set -e would end the script here)
  have=$(for f in "$dir"/virt-overhead-agent-*-linux-*; do [ -f "$f" ] && printf ' %s' "${f##*-linux-}"; done || true)
  set -- "$dir"/virt-overhead-agent-*.mjs
  if [ -f "$1" ] && [ $# -eq 1 ] && find_node_quietly; then
    say "note: no agent file for $TARGET_ARCH in $dir; using the bundle $(basename "$1") with Node.js $version at $NODE"
    FROM=$1; return 0
  fi
  die "no agent file for this machine's architecture ($TARGET_ARCH) in $dir (agent files there:${have:- none}; they are built for: $AGENT_FILE_ARCHES). On $TARGET_ARCH install Node.js >= 20 and use the bundle: --from virt-overhead-agent-VERSION.mjs"
}
has_agent_files() { for f in "$1"/virt-overhead-agent-*-linux-* "$1"/virt-overhead-agent-*.mjs; do [ -f "$f" ] && return 0; done; return 1; }
# A sha256 list beside the agent file (deploy/bundle.sh writes one): the file must match its line.
check_sum() {
  for sums in "$(dirname "$1")"/virt-overhead-agent-*.sha256; do
    [ -f "$sums" ] || continue
    want=$(awk -v f="$(basename "$1")" '$2 == f { print $1 }' "$sums")
    [ -n "$want" ] || continue
    got=$(sha256sum "$1" | cut -d' ' -f1)
    [ "$got" = "$want" ] || die "$1: sha256 $got does not match $(basename "$sums") ($want): a damaged or replaced copy; fetch it again"
    say "checked $(basename "$1") against $(basename "$sums")"
  done
}

# ---- the package: stage it, then swap it in only if it differs --------------------------
# Sets SRC_KIND (agentfile|project|tarball|bundle|installed) and SRC.
is_project() { [ -f "$1/package.json" ] && grep -q '"name": *"virt-overhead"' "$1/package.json"; }
find_source() {
  # The installer in a release folder (beside the agent files, as deploy/bundle.sh --out-dir
  # and the cloud-init sample lay them out): that folder is the source.
  if [ -z "$FROM" ] && ! is_project "$(dirname "$SCRIPT_DIR")" && has_agent_files "$SCRIPT_DIR"; then FROM=$SCRIPT_DIR; fi
  # A re-run that only changes settings (`--collector X`) of an agent installed from a tarball
  # or bundle, with this script not inside a project copy: keep the installed package.
  if [ -z "$FROM" ] && [ -d "$ROOT$APP/lib" ] && ! is_project "$(dirname "$SCRIPT_DIR")"; then
    SRC_KIND=installed SRC=$APP/lib
    return 0
  fi
  SRC=${FROM:-$(dirname "$SCRIPT_DIR")}
  [ -e "$SRC" ] || die "--from $SRC: no such file or directory"
  if [ -d "$SRC" ] && ! is_project "$SRC" && has_agent_files "$SRC"; then
    pick_from_folder "$SRC"
    SRC=$FROM
  fi
  if [ -f "$SRC" ] && file_arch=$(elf_arch "$SRC"); then
    [ "$file_arch" = "$TARGET_ARCH" ] ||
      die "--from $SRC is an agent file for $file_arch, and this machine is $TARGET_ARCH: use virt-overhead-agent-VERSION-linux-$TARGET_ARCH$(case " $AGENT_FILE_ARCHES " in *" $TARGET_ARCH "*) ;; *) printf ' (none is built for %s: install Node.js >= 20 and use the .mjs bundle)' "$TARGET_ARCH" ;; esac)"
    check_sum "$SRC"
    SRC_KIND=agentfile
  elif [ -d "$SRC" ]; then
    is_project "$SRC" ||
      die "$SRC is not a copy of the virt-overhead project (no package.json naming virt-overhead); pass --from"
    [ -f "$SRC/dist/cli/main.js" ] || die "$SRC has no dist/cli/main.js: build it first (npm run build) or use the npm pack tarball / single-file bundle"
    [ -d "$SRC/node_modules" ] || die "$SRC has no node_modules/: run 'npm ci' there first, or use the single-file bundle (deploy/bundle.sh)"
    SRC_KIND=project
  else
    case $SRC in
      *.tgz|*.tar.gz) SRC_KIND=tarball ;;
      *.mjs|*.js) SRC_KIND=bundle ;;
      *) die "--from $SRC: expected an agent file (virt-overhead-agent-VERSION-linux-ARCH), a folder holding them, a .mjs bundle, a .tgz from npm pack or a project directory" ;;
    esac
  fi
  SRC=$(cd "$(dirname "$SRC")" && pwd)/$(basename "$SRC")
}
stage_package() { # $1: empty staging dir -> the files that belong in $APP/lib
  stage=$1
  case $SRC_KIND in
    project)
      # -H: a node_modules that is a symlink is copied as a tree, so the prune below can
      # never reach the source's own node_modules.
      for f in package.json package-lock.json dist proto deploy docs README.md LICENSE node_modules; do
        if [ -e "$SRC/$f" ]; then cp -RH "$SRC/$f" "$stage/"; fi
      done
      # Development tools (typescript, vitest, ...) have no business on a guest.
      if command -v npm >/dev/null 2>&1; then
        (cd "$stage" && npm prune --omit=dev --offline --no-audit --no-fund --loglevel=error >/dev/null) ||
          die "npm prune --omit=dev failed in the staged copy of $SRC"
      fi ;;
    tarball)
      tar -xzf "$SRC" -C "$stage" --strip-components=1 || die "cannot unpack $SRC (is it an npm pack tarball?)"
      # Our tarball bundles its production dependencies (bundleDependencies): nothing to fetch,
      # no npm needed. Only a tarball packed without them needs npm and its cache.
      if [ -f "$stage/node_modules/@grpc/grpc-js/package.json" ]; then return 0; fi
      command -v npm >/dev/null 2>&1 || die "installing from $SRC needs npm to fetch its dependencies; without npm use the single-file bundle (deploy/bundle.sh) or a built project copy"
      (cd "$stage" && npm install --omit=dev --offline --ignore-scripts --no-audit --no-fund --no-package-lock --loglevel=error >/dev/null) ||
        die "npm could not install the dependencies of $SRC offline (they are not in npm's cache here). Use the single-file bundle (deploy/bundle.sh) or a built project copy with node_modules/, or run once with network access"
      ;;
    bundle)
      cp "$SRC" "$stage/virt-overhead-agent.mjs" ;;
    agentfile)
      cp "$SRC" "$stage/virt-overhead-agent"
      chmod 755 "$stage/virt-overhead-agent" ;;
  esac
}
install_package() {
  [ "$SRC_KIND" != installed ] || return 0
  if [ "$DRY" = 1 ]; then say "would install $SRC_KIND $SRC into $APP/lib (if it differs from what is there)"; return 0; fi
  ensure_dir "$APP"
  new="$ROOT$APP/.lib.new"
  rm -rf "$new" "$ROOT$APP/.lib.old"
  mkdir "$new"
  stage_package "$new"
  if [ -d "$ROOT$APP/lib" ] && diff -r --no-dereference -q "$ROOT$APP/lib" "$new" >/dev/null 2>&1; then
    rm -rf "$new"
    return 0
  fi
  # Swap whole trees so a running agent never sees half an upgrade.
  [ -d "$ROOT$APP/lib" ] && mv "$ROOT$APP/lib" "$ROOT$APP/.lib.old"
  mv "$new" "$ROOT$APP/lib"
  rm -rf "$ROOT$APP/.lib.old"
  note_change "installed $SRC_KIND $SRC into $APP/lib"
}
installed_kind() { # what an earlier install put in $APP/lib
  if [ -f "$ROOT$APP/lib/virt-overhead-agent" ]; then echo agentfile
  elif [ -f "$ROOT$APP/lib/virt-overhead-agent.mjs" ]; then echo bundle
  else echo project; fi
}
write_wrapper() {
  kind=$SRC_KIND
  [ "$kind" != installed ] || kind=$(installed_kind)
  if [ "$kind" = agentfile ]; then
    put_file "$APP/bin/virt-overhead" 755 "#!/bin/sh
# Written by install-agent.sh: the agent file (Node.js inside).
exec $APP/lib/virt-overhead-agent \"\$@\""
    return 0
  fi
  case $kind in
    bundle) entry=$APP/lib/virt-overhead-agent.mjs ;;
    *) entry=$APP/lib/dist/cli/main.js ;;
  esac
  put_file "$APP/bin/virt-overhead" 755 "#!/bin/sh
# Written by install-agent.sh: the Node.js it found (>= 20) and the installed package.
exec \"$NODE\" \"$entry\" \"\$@\""
}

# A collector name this machine cannot resolve is most often a typo: say so. Only a warning: DNS
# may come later (images, first boots), and until it resolves the agent keeps what it measures
# in its spool. Not for --root (another machine's resolver) nor address literals.
check_collector_resolves() {
  [ -z "$ROOT" ] && [ -n "${SET_collector:-}" ] || return 0
  host=${SET_collector%:*}
  case $host in \[*|*:*|*[!0-9.]*) ;; *) return 0 ;; esac
  case $host in \[*|*:*) return 0 ;; esac
  command -v getent >/dev/null 2>&1 || return 0
  getent ahosts "$host" >/dev/null 2>&1 ||
    say "warning: --collector $SET_collector: '$host' does not resolve on this machine; check the name. Until it resolves, each run keeps its results in $STATE/spool (sent once the collector is reached) and the unit exits with status 3"
}

# Option pairs the agent refuses at start (agent/stream/credentials.ts): each run would exit 2
# and measure nothing, so say it now, on --dry-run too, from the values agent.yaml will hold.
effective() { eval "v=\${SET_$1:-}"; [ -n "$v" ] || v=$(existing_value "$1"); printf '%s' "$v"; }
warn_refused_pairs() {
  collector=$(effective collector) ca=$(effective tls_ca) cert=$(effective tls_cert) key=$(effective tls_key) plain=$(effective allow_plaintext)
  refuses="warning: the agent will refuse to run with these settings (each run would exit 2 and measure nothing):"
  if [ -n "$cert" ] && [ -z "$key" ]; then say "$refuses --tls-cert without --tls-key: give both (mutual TLS) or neither"; fi
  if [ -z "$cert" ] && [ -n "$key" ]; then say "$refuses --tls-key without --tls-cert: give both (mutual TLS) or neither"; fi
  for f in "$ca" "$cert" "$key"; do
    [ -z "$f" ] || [ -e "$ROOT$f" ] || say "$refuses $f (a --tls-* file) does not exist${ROOT:+ in $ROOT}; it must be there before the first run"
  done
  if [ -n "$collector" ] && [ -z "$ca$cert$key" ] && [ "$plain" != true ]; then
    host=${collector%:*}; host=${host#[}; host=${host%]}
    case $host in
      localhost|::1|127.*) ;;
      *) say "$refuses --collector $collector is not on this machine and no --tls-ca is given, so it would send results in plain text ('refusing to send results in plain text to $collector'). Give --tls-ca FILE (the CA that signed the collector's certificate: virt-overhead cert), or --allow-plaintext on a network you trust" ;;
    esac
  fi
  if [ "$plain" = true ] && [ -n "$ca$cert$key" ]; then say "note: --allow-plaintext has no effect: with --tls-ca/--tls-cert the agent always uses TLS"; fi
  if [ -n "$(effective tls_server_name)" ] && [ -z "$ca$cert$key" ]; then say "note: --tls-server-name has no effect without --tls-ca (plain text has no certificate to check)"; fi
  return 0
}

# ---- agent.yaml ---------------------------------------------------------------------------
existing_value() { # the value install-agent.sh wrote for key $1 in the current agent.yaml
  [ -f "$ROOT$CONF" ] || return 0
  sed -n "s/^$1: \"\\{0,1\\}\\([^\"]*\\)\"\\{0,1\\}\$/\\1/p" "$ROOT$CONF" | head -n 1
}
default_value() {
  case $1 in
    group|variant) echo default ;;
    role) echo guest ;;
    profile) echo seed ;;
    interval) echo 6h ;;
    jitter) echo 10m ;;
    workdir) echo "$STATE" ;;
  esac
}
write_config() {
  [ -n "$TOKEN" ] && SET_token_file=$TOKEN_PATH
  any_set=0
  for k in $KEYS; do eval "[ -n \"\${SET_$k:-}\" ]" && any_set=1; done
  # Nothing asked for and a file is there: leave it alone (the operator may have edited it).
  [ "$any_set" = 0 ] && [ -f "$ROOT$CONF" ] && return 0
  header="# virt-overhead agent settings, written by install-agent.sh (re-running it keeps the
# values you do not pass again). Keys are 'virt-overhead agent' options with _ for -."
  content=$header
  for k in $KEYS; do
    eval "v=\${SET_$k:-}"
    [ -n "$v" ] || v=$(existing_value "$k")
    [ -n "$v" ] || v=$(default_value "$k")
    [ -n "$v" ] || continue
    case $k in allow_plaintext) line="$k: $v" ;; *) line="$k: \"$v\"" ;; esac
    content="$content
$line"
  done
  # What the operator added by hand (tests, trials, declare, comments, ...) stays, after ours.
  if [ -f "$ROOT$CONF" ]; then
    extra=$(printf '%s\n' "$header" | grep -vxF -f - "$ROOT$CONF" | grep -Ev "^($(printf '%s' "$KEYS" | tr ' ' '|')):" || true)
    [ -z "$extra" ] || content="$content
$extra"
  fi
  put_file "$CONF" 644 "$content"
  grep -q '^collector: ' "$ROOT$CONF" 2>/dev/null || [ "$DRY" = 1 ] ||
    die "--collector HOST:PORT is required (where the collector listens)"
}
write_token() {
  [ -n "$TOKEN" ] || return 0
  put_file "$TOKEN_PATH" 600 "$TOKEN"
  TOKEN_WRITTEN=1
}
# A root-only token reaches the unit's dynamic user as a systemd credential. Its directory is
# named as /run/credentials/%n, not %d: the %d specifier needs systemd 248, and Debian 11 has
# 247 (LoadCredential= is there, %d is not: the variable was dropped, the agent got EACCES).
write_token_dropin() {
  tf=${SET_token_file:-$(existing_value token_file)}
  if [ -z "$tf" ]; then remove "$DROPIN"; remove_dropin_dir_if_empty; return 0; fi
  put_file "$DROPIN" 644 "# Written by install-agent.sh: the token file stays readable by root only; the agent reads
# the copy systemd hands it in its credentials directory.
[Service]
LoadCredential=token:$tf
Environment=VIRT_OVERHEAD_AGENT_TOKEN_FILE=/run/credentials/%n/token"
}

remove_dropin_dir_if_empty() {
  [ "$DRY" = 1 ] || { [ -d "$ROOT$DROPIN_DIR" ] && rmdir "$ROOT$DROPIN_DIR" 2>/dev/null; } || true
}
# The dynamic user may open /dev/kvm (so detection can try KVM, not stop at 'device') through
# group kvm. Only where that group exists: systemd refuses to start a unit naming a missing group.
write_kvm_dropin() {
  if ! grep -q '^kvm:' "$ROOT/etc/group" 2>/dev/null; then remove "$KVM_DROPIN"; remove_dropin_dir_if_empty; return 0; fi
  put_file "$KVM_DROPIN" 644 "# Written by install-agent.sh: lets the agent open /dev/kvm (mode 0660 root:kvm) to test KVM.
[Service]
SupplementaryGroups=kvm"
  # A device the group may not open (e.g. 0600 root) still leaves the verdict 'unknown': say why.
  if [ -z "$ROOT" ] && [ -c /dev/kvm ]; then
    mode=$(stat -c %a /dev/kvm) group=$(stat -c %G /dev/kvm)
    case $group:$mode in
      kvm:6[67]?) ;;
      *) say "note: /dev/kvm is mode $mode group $group: the agent's dynamic user cannot open it and will report KVM 'unknown'. To let group kvm in: echo 'KERNEL==\"kvm\", GROUP=\"kvm\", MODE=\"0660\"' > /etc/udev/rules.d/65-kvm.rules && udevadm trigger /dev/kvm" ;;
    esac
  fi
}

# ---- run mode: timer (default) or daemon -------------------------------------------------
# Without --timer/--daemon a re-run keeps the mode installed; a first install uses the timer.
resolve_run_mode() {
  if [ -z "$RUN_MODE" ]; then
    if [ -f "$ROOT$UNIT_PATH" ] && [ ! -f "$ROOT$TIMER_PATH" ]; then RUN_MODE=daemon; else RUN_MODE=timer; fi
  fi
  [ "$RUN_MODE" = timer ] || return 0
  # Checked before anything is written: a refused interval leaves the installation as it was.
  interval=${SET_interval:-$(existing_value interval)}; interval=${interval:-6h}
  TIMER_JITTER=${SET_jitter:-$(existing_value jitter)}; TIMER_JITTER=${TIMER_JITTER:-10m}
  TIMER_CAL=$(interval_calendar "$interval") || die "--interval $interval: in timer mode the interval must divide a day (1h 2h 3h 4h 6h 8h 12h 24h, or 1d); use --daemon for others"
}
# --interval as a calendar event: hours that divide a day (runs at the same wall-clock hours
# on every machine, spread by RandomizedDelaySec), or whole days.
interval_calendar() {
  case $1 in
    1d|24h) echo 'daily' ;;
    *h) h=${1%h}
        case $h in 1|2|3|4|6|8|12) echo "00/$h:00" ;; *) return 1 ;; esac ;;
    *) return 1 ;;
  esac
}
# The most one run may take (the agent's own answer: every test at its timeout, every trial the
# trial rule may add, the flush), for the oneshot unit's TimeoutStartSec: a run that hangs past
# it is stopped and the next one starts, instead of the guest never measuring again.
start_timeout() { # sets START_TIMEOUT (seconds)
  START_TIMEOUT=0
  [ "$DRY" = 0 ] || return 0
  profile=${SET_profile:-$(existing_value profile)}
  case $profile in /*) profile_arg="--profile $ROOT$profile" ;; *) profile_arg='' ;; esac
  kind=$(installed_kind)
  # shellcheck disable=SC2086 # profile_arg is empty or two words
  case $kind in
    agentfile) out=$("$ROOT$APP/lib/virt-overhead-agent" agent --config "$ROOT$CONF" $profile_arg --print-start-timeout 2>&1) && rc=0 || rc=$? ;;
    bundle) out=$("$NODE" "$ROOT$APP/lib/virt-overhead-agent.mjs" agent --config "$ROOT$CONF" $profile_arg --print-start-timeout 2>&1) && rc=0 || rc=$? ;;
    *) out=$("$NODE" "$ROOT$APP/lib/dist/cli/main.js" agent --config "$ROOT$CONF" $profile_arg --print-start-timeout 2>&1) && rc=0 || rc=$? ;;
  esac
  if [ "$kind" = agentfile ] && { [ "$rc" = 126 ] || [ "$rc" = 127 ]; }; then
    # An agent file for another architecture (an image built on this machine for another one):
    # it cannot answer here, so a day, still a bound.
    START_TIMEOUT=86400
    say "note: the agent file cannot run on this machine to say how long a run of its profile may take; TimeoutStartSec=${START_TIMEOUT}s"
    return 0
  fi
  [ "$rc" = 0 ] || die "cannot work out how long a run of this profile may take (agent --print-start-timeout): $out"
  printf '%s' "$out" | grep -Eqx '[0-9]+' || die "agent --print-start-timeout answered '$out', not a number of seconds"
  START_TIMEOUT=$out
}
write_timer_units() {
  if [ "$RUN_MODE" != timer ]; then
    remove "$TIMER_DROPIN" "$TIMER_PATH" "/etc/systemd/system/timers.target.wants/$TIMER"
    remove_dropin_dir_if_empty
    return 0
  fi
  src=$(dirname "$(unit_source)")/$TIMER
  [ -f "$src" ] || die "cannot find $TIMER next to $UNIT ($src)"
  # Made first, written after: a unit that cannot be made stops the install, never written half.
  timer=$(sed -e "s|^OnCalendar=.*|OnCalendar=$TIMER_CAL|" -e "s|^RandomizedDelaySec=.*|RandomizedDelaySec=$TIMER_JITTER|" "$src") ||
    die "cannot make $TIMER from $src"
  printf '%s\n' "$timer" | grep -qx "RandomizedDelaySec=$TIMER_JITTER" || die "cannot make $TIMER from $src: no RandomizedDelaySec line"
  start_timeout
  put_file "$TIMER_PATH" 644 "$timer"
  put_file "$TIMER_DROPIN" 644 "# Written by install-agent.sh (timer mode): one run per start, then the process exits;
# $TIMER starts it. A run that takes longer than the profile allows (every test at its
# timeout, every trial added, the flush: agent --print-start-timeout) is stopped.
[Service]
Type=oneshot
ExecStart=
ExecStart=$APP/bin/virt-overhead agent --config $CONF --once
Restart=no
TimeoutStartSec=${START_TIMEOUT}s"
}

# ---- the manifest: what to undo ---------------------------------------------------------
read_manifest() {
  SYSBENCH_BY='' TOKEN_WRITTEN=0 MANIFEST_DIRS=''
  if [ -f "$ROOT$MANIFEST" ]; then
    SYSBENCH_BY=$(sed -n 's/^sysbench_installed_by=//p' "$ROOT$MANIFEST")
    TOKEN_WRITTEN=$(sed -n 's/^token_written=//p' "$ROOT$MANIFEST")
    MANIFEST_DIRS=$(sed -n 's/^created_dir=//p' "$ROOT$MANIFEST")
  fi
  : "${TOKEN_WRITTEN:=0}"
}
write_manifest() {
  dirs=$(for d in $MANIFEST_DIRS $CREATED_DIRS; do echo "created_dir=$d"; done | sort -u)
  put_file "$MANIFEST" 644 "# install-agent.sh: what --uninstall must undo beyond its own files
sysbench_installed_by=$SYSBENCH_BY
token_written=$TOKEN_WRITTEN${dirs:+
$dirs}"
}

# ---- systemd ------------------------------------------------------------------------------
unit_source() { # the installer's own copy first, so unit and installer match
  for d in "$SCRIPT_DIR/systemd" "$ROOT$APP/lib/deploy/systemd"; do
    [ -f "$d/$UNIT" ] && { printf '%s' "$d/$UNIT"; return 0; }
  done
  die "cannot find $UNIT next to this script ($SCRIPT_DIR/systemd/) nor in the installed package"
}
systemctl_cmd() {
  if [ -n "$ROOT" ]; then run systemctl --root="$ROOT" "$@"; else run systemctl "$@"; fi
}
enable_unit() {
  [ "$ENABLE" = 1 ] || { say "not enabling $UNIT (--no-enable)"; return 0; }
  # Timer mode enables the timer (the service is started by it); daemon mode the service.
  if [ "$RUN_MODE" = timer ]; then on=$TIMER off=$UNIT wants=timers.target.wants; else on=$UNIT off=$TIMER wants=multi-user.target.wants; fi
  if [ -n "$ROOT" ] || [ "$SYSTEMD_RUNNING" = 0 ]; then
    [ -n "$ROOT" ] || say "note: systemd is not running here (no /run/systemd/system): $on is enabled for a boot under systemd, but nothing runs now. Without systemd, re-run with --no-enable and start '$APP/bin/virt-overhead agent --config $CONF' from your init system (add --once to run it from cron)"
    # Offline: only the wants/ symlinks, exactly what `systemctl enable`/`disable` make.
    if [ -L "$ROOT/etc/systemd/system/multi-user.target.wants/$off" ] || [ -L "$ROOT/etc/systemd/system/timers.target.wants/$off" ]; then
      remove "/etc/systemd/system/multi-user.target.wants/$off" "/etc/systemd/system/timers.target.wants/$off"; CHANGED=1
    fi
    [ -L "$ROOT/etc/systemd/system/$wants/$on" ] || { systemctl_cmd enable "$on"; CHANGED=1; }
    return 0
  fi
  run systemctl daemon-reload
  if systemctl is-enabled --quiet "$off" 2>/dev/null; then systemctl_cmd disable --now "$off"; CHANGED=1; fi
  systemctl is-enabled --quiet "$on" 2>/dev/null || systemctl_cmd enable "$on"
  if [ "$RUN_MODE" = timer ]; then
    # A running agent finishes its run; the next one uses the new files.
    systemctl is-active --quiet "$TIMER" || systemctl_cmd start "$TIMER"
  elif [ "$CHANGED" = 1 ]; then systemctl_cmd restart "$UNIT"
  else systemctl is-active --quiet "$UNIT" || systemctl_cmd start "$UNIT"; fi
}

# The agent's unit needs systemd 247 or newer: LoadCredential= hands the agent its root-only
# token (older systemd ignores the line and the agent cannot read the token). With --root, the
# image's systemd, by the number in its libsystemd-shared-N.so; unknown: not checked.
check_systemd_version() {
  if [ -n "$ROOT" ]; then
    v=$(find "$ROOT/usr/lib/" "$ROOT/lib/" -maxdepth 3 -name 'libsystemd-shared-[0-9]*.so' 2>/dev/null |
      sed -n 's/.*libsystemd-shared-\([0-9][0-9]*\)\.so$/\1/p' | head -n 1)
  else
    v=$(systemctl --version 2>/dev/null | sed -n '1s/^systemd \([0-9][0-9]*\).*/\1/p')
  fi
  [ -z "$v" ] || [ "$v" -ge 247 ] ||
    die "systemd $v is too old for the agent's unit: it needs 247 or newer (LoadCredential=, which hands the agent its root-only token): Debian >= 11, Ubuntu >= 21.04, RHEL >= 9 (docs/install.md)"
}

# ---- install ------------------------------------------------------------------------------
do_install() {
  if [ "$ENABLE" = 1 ] && ! command -v systemctl >/dev/null 2>&1; then
    die "systemctl not found: this installer enables a systemd unit. Without systemd, re-run with --no-enable and start '$APP/bin/virt-overhead agent --config $CONF' from your init system"
  fi
  [ "$ENABLE" = 1 ] && check_systemd_version
  if [ ! -f "$ROOT$CONF" ] && [ -z "${SET_collector:-}" ]; then
    die "--collector HOST:PORT is required on the first install (where the collector listens)"
  fi
  if [ -n "${SET_token_file:-}" ] && [ ! -f "$ROOT$SET_token_file" ]; then
    die "--token-file $SET_token_file: no such file${ROOT:+ in $ROOT}"
  fi
  if [ -n "${SET_token_file:-}" ]; then
    # Like ssh with a private key: a token others can read, or that root does not own, is a leak.
    perm=$(stat -c %a "$ROOT$SET_token_file") owner=$(stat -c %u "$ROOT$SET_token_file")
    case $perm in *00) ;; *) say "warning: --token-file $SET_token_file has mode $perm: other users can read the token; chmod 600 it (root-only is enough: the agent gets it as a systemd credential)" ;; esac
    [ "$owner" = 0 ] || say "warning: --token-file $SET_token_file belongs to uid $owner, not root: whoever owns it can change the agent's identity; chown root it"
  fi
  resolve_arch
  find_source
  # Everything but an agent file runs on a Node.js found here.
  case $SRC_KIND in
    agentfile) ;;
    installed) [ "$(installed_kind)" = agentfile ] || find_node ;;
    *) find_node ;;
  esac
  check_collector_resolves
  warn_refused_pairs
  check_sysbench_deb
  read_manifest
  resolve_run_mode

  if [ "$SKIP_SYSBENCH" = 0 ] && ! have_sysbench; then
    pm=$(find_pm) || die "sysbench is not installed and no supported package manager (apt-get, dnf, yum, zypper) was found: install sysbench 1.0 by hand, then re-run (or pass --skip-sysbench)"
    if ! pm_run "$pm" install; then
      case $pm in
        dnf|yum) hint="on RHEL and its rebuilds sysbench comes from EPEL (dnf install epel-release)" ;;
        apt-get) hint="offline guests need a local mirror or the .deb: apt-get install ./sysbench_*.deb" ;;
        *) hint="install sysbench from a local repository or package file" ;;
      esac
      die "$pm could not install sysbench (see its output above); $hint; then re-run"
    fi
    [ "$DRY" = 1 ] || SYSBENCH_BY=$pm
    CHANGED=1
  elif [ -n "$SYSBENCH_DEB" ]; then
    say "note: sysbench is installed already; --sysbench-deb $SYSBENCH_DEB not used"
  fi

  install_package
  write_wrapper
  write_token
  write_config
  write_token_dropin
  write_kvm_dropin
  unit=$(cat "$(unit_source)") && [ -n "$unit" ] || die "cannot read $UNIT from $(unit_source)"
  put_file "$UNIT_PATH" 644 "$unit"
  write_timer_units
  if [ ! -L "$ROOT$LINK" ]; then
    if [ -e "$ROOT$LINK" ]; then say "note: $LINK exists and is not ours; leaving it"
    elif [ "$DRY" = 1 ]; then say "would link $LINK -> $APP/bin/virt-overhead"
    else ensure_dir "$(dirname "$LINK")"; ln -s "$APP/bin/virt-overhead" "$ROOT$LINK"; note_change "linked $LINK"; fi
  fi
  # systemctl enable makes the wants/ directory if missing; record it so --uninstall removes it.
  if [ "$ENABLE" = 1 ]; then
    if [ "$RUN_MODE" = timer ]; then ensure_dir /etc/systemd/system/timers.target.wants; else ensure_dir /etc/systemd/system/multi-user.target.wants; fi
  fi
  write_manifest
  enable_unit
  # On disk before we return: first boots and image builds are often cut off (a snapshot, a
  # power-off) within seconds, and ext4 writes new files back up to 30 s later.
  [ "$DRY" = 1 ] || [ "$CHANGED" = 0 ] || sync
  if [ "$DRY" = 1 ]; then say "dry run: nothing was changed"
  elif [ "$CHANGED" = 0 ]; then say "virt-overhead agent is installed and up to date; nothing changed"
  else say "virt-overhead agent installed: $APP, $CONF, $UNIT_PATH"; fi
}

# ---- uninstall ----------------------------------------------------------------------------
do_uninstall() {
  read_manifest
  if command -v systemctl >/dev/null 2>&1; then
    for u in $TIMER $UNIT; do
      [ -e "$ROOT/etc/systemd/system/$u" ] || continue
      if [ -n "$ROOT" ] || [ "$SYSTEMD_RUNNING" = 0 ]; then systemctl_cmd disable "$u"
      else systemctl_cmd disable --now "$u"; fi
    done
  fi
  # The stamp is systemd's record of the timer's last run (Persistent=true); no timer, no stamp.
  remove "/etc/systemd/system/multi-user.target.wants/$UNIT" "/etc/systemd/system/timers.target.wants/$TIMER" "$TIMER_PATH" "$UNIT_PATH" "$DROPIN_DIR" \
    "/var/lib/systemd/timers/stamp-$TIMER"
  [ "$SYSTEMD_RUNNING" = 1 ] && run systemctl daemon-reload
  if [ -L "$ROOT$LINK" ]; then remove "$LINK"; fi
  remove "$CONF" "$CONF.bak"
  [ "$TOKEN_WRITTEN" = 1 ] && remove "$TOKEN_PATH"
  if [ "$KEEP_STATE" = 0 ]; then
    # The spool holds results the collector has not acknowledged yet: say so before dropping it.
    if [ -d "$ROOT$STATE/spool" ] && [ -n "$(ls -A "$ROOT$STATE/spool" 2>/dev/null)" ]; then
      say "note: discarding unsent results in $STATE/spool (use --keep-state to keep them)"
    fi
    remove "$STATE" "/var/lib/private/virt-overhead"
  fi
  if [ -n "$SYSBENCH_BY" ] && [ "$SKIP_SYSBENCH" = 0 ]; then
    pm_run "$SYSBENCH_BY" remove || say "note: $SYSBENCH_BY could not remove sysbench; remove it by hand if you like"
  fi
  remove "$APP"
  # Directories the install created, deepest first, only if nothing else has moved in.
  for d in $(printf '%s\n' $MANIFEST_DIRS | awk '{ print length, $0 }' | sort -rn | cut -d' ' -f2-); do
    [ -d "$ROOT$d" ] || continue
    if [ "$DRY" = 1 ]; then say "would remove directory $d if empty"; continue; fi
    rmdir "$ROOT$d" 2>/dev/null && say "removed directory $d" || true
  done
  [ "$DRY" = 1 ] || sync
  [ "$DRY" = 1 ] && say "dry run: nothing was changed" || say "virt-overhead agent uninstalled"
}

if [ "$MODE" = uninstall ]; then do_uninstall; else do_install; fi
