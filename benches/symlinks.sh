#!/usr/bin/env bash
# Symlink fan-out and link rings, whole process: how long `agentguard check --no-run` takes on
# a push of thousands of links, each judged by its own path, its target and what it exposes.
#
#   benches/symlinks.sh                     (RUNS=5 by default)
#   AGENTGUARD_BIN=path/to/agentguard benches/symlinks.sh       (times that build instead)
#   BASELINE_BIN=path/to/older/agentguard benches/symlinks.sh   (and an older one beside it)
#
# The repository (git fast-import): 2,000 files on main; one agent commit adding LINKS links
# to the repository root (each exposes every file) and LINKS links in a ring (each resolves
# through the others until the hop limit). Prints the size of the push (a bundle of the
# agent commit) and hyperfine's medians.
set -euo pipefail
runs=${RUNS:-5}
links=${LINKS:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v hyperfine >/dev/null || { echo "symlinks.sh: needs hyperfine" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/agentguard-symlinks.XXXXXX")
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
if [ -n "${AGENTGUARD_BIN:-}" ]; then
  bin=$(realpath "$AGENTGUARD_BIN")
else
  cargo build --release --manifest-path "$root/Cargo.toml" -q
  cp "$root/target/release/agentguard" "$work/agentguard"
  bin="$work/agentguard"
fi

git init -q -b main "$work/repo"
python3 - "$links" <<'PY' | git -C "$work/repo" fast-import --quiet
import sys
links = int(sys.argv[1])
out = sys.stdout
def blob(mark, data):
    data = data.encode()
    out.write(f"blob\nmark :{mark}\ndata {len(data)}\n")
    out.write(data.decode() + "\n")
mark = 1
files = []
for i in range(2000):
    blob(mark, f"fn f{i}() {{}}\n"); files.append((f"src/m{i % 40}/f{i}.rs", mark)); mark += 1
blob(mark, ".."); up = mark; mark += 1
ring = []
for i in range(links):
    blob(mark, f"r{(i + 1) % links}"); ring.append(mark); mark += 1
def commit(ref, message, entries, parent=None):
    out.write(f"commit {ref}\ncommitter Bench <bench@example.com> 1700000000 +0000\n")
    out.write(f"data {len(message)}\n{message}\n")
    if parent:
        out.write(f"from {parent}\n")
    for mode, path, m in entries:
        out.write(f"M {mode} :{m} {path}\n")
commit("refs/heads/main", "base", [("100644", p, m) for p, m in files])
entries = [("120000", f"links/l{i}", up) for i in range(links)]
entries += [("120000", f"ring/r{i}", m) for i, m in enumerate(ring)]
commit("refs/heads/agent/links", "links\n\nAgent-Task: T-1", entries, "refs/heads/main")
PY
git -C "$work/repo" checkout -q agent/links 2>/dev/null || true
push=$(git -C "$work/repo" bundle create "$work/push.bundle" main..agent/links 2>/dev/null && wc -c < "$work/push.bundle")
echo "push: $((links * 2)) links, $((push / 1024)) KB as a bundle; each of the $links root links exposes every file"
cd "$work/repo"
set -- "$bin check --no-run --format json agent/links"
[ -z "${BASELINE_BIN:-}" ] || set -- "$(realpath "$BASELINE_BIN") check --no-run --format json agent/links" "$@"
hyperfine -N -i --style none --runs "$runs" --export-json "$work/times.json" "$@" >/dev/null 2>&1
python3 - "$work/times.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['median']:9.3f} s median ({len(r['times'])} runs)  {r['command']}")
PY
