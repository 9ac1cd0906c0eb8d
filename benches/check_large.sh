#!/usr/bin/env bash
# Whole-process benchmark of `agentguard check` on a large synthetic repository.
#
#   benches/check_large.sh [FILES] [CHANGED]     (defaults: 20000 files, 2000 changed)
#
# Builds a repository of FILES source files with git fast-import, then an agent commit that
# rewrites CHANGED of them and adds CHANGED/10 new ones, and times with hyperfine:
#   - agentguard check --no-run on the agent commit (scope + risk scan of every added line)
#   - agentguard check on a human commit of the same size (the fast path)
#   - git diff --stat of the same commit, as a reference for the cost of reading the change
# Prints hyperfine's table (mean ± σ, median in the JSON export) for each.
set -euo pipefail
files=${1:-20000}
changed=${2:-2000}
root=$(cd "$(dirname "$0")/.." && pwd)
command -v hyperfine >/dev/null || { echo "needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --manifest-path "$root/Cargo.toml" -q
bin="$root/target/release/agentguard"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null

python3 - "$work/stream" "$files" "$changed" <<'PY'
import sys
out, files, changed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def body(i, extra=0):
    lines = [f"// module {i}", f"pub fn f{i}(x: u64) -> u64 {{"]
    lines += [f"    let v{j} = x.wrapping_mul({j + i}) ^ 0x{(i * 7919 + j) % 65536:04x};" for j in range(30 + extra)]
    lines += ["    x", "}", ""]
    return "\n".join(lines).encode()
def blob(f, data):
    f.write(b"data %d\n" % len(data)); f.write(data); f.write(b"\n")
def commit(f, ref, msg, parent, changes):
    f.write(f"commit {ref}\n".encode())
    f.write(b"author A <a@example.com> 1767225600 +0000\ncommitter A <a@example.com> 1767225600 +0000\n")
    blob(f, msg.encode())
    if parent: f.write(f"from {parent}\n".encode())
    for path, data in changes:
        f.write(f"M 100644 inline {path}\n".encode()); blob(f, data)
    f.write(b"\n")
path = lambda i: f"src/mod{i // 100:03d}/file{i:05d}.rs"
with open(out, "wb") as f:
    commit(f, "refs/heads/main", "base\n", None, [(path(i), body(i)) for i in range(files)])
    change = [(path(i), body(i, 50)) for i in range(0, files, max(1, files // changed))][:changed]
    change += [(f"src/new/n{i:05d}.rs", body(i, 20)) for i in range(changed // 10)]
    trailers = "Agent work\n\nAgent-Task: BENCH-1\nAgent-Allow: src/**\n"
    commit(f, "refs/heads/agent/bench", trailers, "refs/heads/main", change)
    commit(f, "refs/heads/human", "human work\n", "refs/heads/main", change)
PY
git init -q -b main "$work/repo"
git -C "$work/repo" fast-import --quiet < "$work/stream"
git -C "$work/repo" checkout -q human
added=$(git -C "$work/repo" diff --numstat main agent/bench | awk '{a+=$1} END {print a}')
bytes=$(git -C "$work/repo" diff main agent/bench | grep '^+' | wc -c)
echo "repository: $files files; change: $(git -C "$work/repo" diff --name-only main agent/bench | wc -l) paths, $added added lines, $((bytes / 1024 / 1024)) MiB of diff"
cd "$work/repo"
hyperfine -N --warmup 1 --runs 10 --export-json "$work/result.json" \
  -n "check agent commit" "$bin check --no-run --format json agent/bench" \
  -n "check human commit" "$bin check --no-run --format json human" \
  -n "git diff --stat" "git diff --stat main agent/bench"
python3 - "$work/result.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"]
for x in r: print(f"median {x['command']}: {x['median'] * 1000:.1f} ms")
print(f"ratio agent check / git diff --stat: {r[0]['median'] / r[2]['median']:.2f}")
PY
