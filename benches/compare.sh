#!/usr/bin/env bash
# agentguard side by side with git and the tools teams use today, whole processes, one run.
#
#   benches/compare.sh            (RUNS=10 by default; RUNS=3 for a quick look)
#   AGENTGUARD_BIN=path/to/agentguard benches/compare.sh     (times that build instead)
#
# Run by hand, not in CI: it installs lefthook (npm), pre-commit and detect-secrets (PyPI) into
# a temporary prefix, and git-secrets (apt) if it is missing and apt can. A tool that cannot be
# installed is skipped and the table says so. Everything it builds lives in one temporary
# directory, removed on exit.
#
# Builds with git fast-import (benches/gen_repo.py): a repository of 20,000 files; an agent
# commit touching 2,000 files with ~31 MiB of added lines; a 500-commit agent branch with
# trailers. Then times with hyperfine (medians of RUNS runs, after a warm-up) and measures
# peak memory with /usr/bin/time -v:
#   - agentguard check --no-run on the big commit vs git diff of it (full patch to /dev/null)
#   - agentguard verify --no-run over the 500 commits vs git log -p of the range
#   - a human git commit (one small file changed per run, on a non-agent branch) with
#     agentguard's hooks vs no hooks vs lefthook vs pre-commit, each with one no-op hook
#   - secret scanning of the big change's added lines (MB/s): agentguard (check --no-run,
#     diffing included, and `agentguard scan` of the same lines as files) vs detect-secrets,
#     gitleaks (if it is installed or apt can install it) and git-secrets over those files
# and prints one table with medians, ratios and peak memory, then PASS/MISS per target.
set -euo pipefail
runs=${RUNS:-10}
slow_runs=${SLOW_RUNS:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
for tool in hyperfine python3 git; do
  command -v "$tool" >/dev/null || { echo "compare.sh: needs $tool" >&2; exit 1; }
done
if [ ! -x /usr/bin/time ]; then
  apt-get install -y -q time >/dev/null 2>&1 || { echo "compare.sh: needs /usr/bin/time (apt-get install time)" >&2; exit 1; }
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/agentguard-compare.XXXXXX")
trap 'rm -rf "$work"' EXIT
# Nothing below runs in the caller's repository.
cd "$work"
# COMPARE_TOOLS=<dir> keeps the installed tools there between runs (it is not removed).
tools=${COMPARE_TOOLS:-$work/tools}
mkdir -p "$tools"
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$work/gitconfig"
git config --file "$work/gitconfig" user.name "Human Dev"
git config --file "$work/gitconfig" user.email "human@example.com"
git config --file "$work/gitconfig" init.defaultBranch main
git config --file "$work/gitconfig" advice.detachedHead false
export PRE_COMMIT_HOME="$work/pre-commit-home" npm_config_cache="$work/npm-cache" PIP_CACHE_DIR="$work/pip-cache"
unset AGENTGUARD_SKIP

# AGENTGUARD_BIN=<path> times that binary (say, an older build) instead of building this tree.
mkdir -p "$work/bin"
if [ -n "${AGENTGUARD_BIN:-}" ]; then
  cp "$AGENTGUARD_BIN" "$work/bin/agentguard"
else
  echo "== building agentguard (release)"
  cargo build --release --manifest-path "$root/Cargo.toml" -q
  # A copy, so a rebuild while this runs changes nothing measured.
  cp "$root/target/release/agentguard" "$work/bin/agentguard"
fi
bin="$work/bin/agentguard"

echo "== generating the repositories"
python3 "$root/benches/gen_repo.py" --out "$work/stream" --files 20000 --changed 2000 \
  --branch-commits 500 --added-mb 30 >/dev/null
git init -q "$work/repo"
git -C "$work/repo" fast-import --quiet < "$work/stream"
rm "$work/stream"
git -C "$work/repo" checkout -q human
repo="$work/repo"

# The big change's added lines, one file per changed file, for the other scanners.
mkdir -p "$work/gs"
git -C "$work/gs" init -q
git -C "$repo" diff -U0 --no-renames --no-color agent/big^ agent/big | python3 -c '
import os, sys
root = sys.argv[1]
out = None
for raw in sys.stdin.buffer:
    if raw.startswith(b"+++ "):
        if out: out.close()
        path = raw[4:].rstrip(b"\n")
        path = path[2:] if path.startswith(b"b/") else path
        full = os.path.join(root.encode(), path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        out = open(full, "wb")
    elif raw.startswith(b"+") and out:
        out.write(raw[1:])
if out: out.close()
' "$work/gs/corpus"
added_bytes=$(du -sb --apparent-size "$work/gs/corpus" | cut -f1)
# detect-secrets runs at well under 1 MB/s: it gets every tenth file, and its MB/s is compared
# (agentguard scan reads the same sample, side by side).
mkdir -p "$work/ds"
git -C "$work/ds" init -q
(cd "$work/gs" && find corpus -type f | sort | awk 'NR % 10 == 1' | while read -r f; do
  mkdir -p "$work/ds/$(dirname "$f")"; cp "$f" "$work/ds/$f"; done)
sample_bytes=$(du -sb --apparent-size "$work/ds/corpus" | cut -f1)
largest=$(git -C "$repo" diff --raw --no-renames agent/big^ agent/big | awk '{print $4}' | grep -v '^0*$' \
  | git -C "$repo" cat-file --batch-check='%(objectsize)' | sort -n | tail -1)
changed_files=$(git -C "$repo" diff --name-only agent/big^ agent/big | wc -l)
echo "   20000 files; big commit: $changed_files files, $((added_bytes / 1024 / 1024)) MiB added, largest file $largest bytes; 500-commit branch"

echo "== installing the other tools into $tools"
lefthook=""
# Without its install script, and outside any repository: the package's postinstall runs
# `lefthook install` in the current directory's repository, which is not ours to change.
if command -v npm >/dev/null && (cd "$tools" && LEFTHOOK=0 npm install --prefix "$tools/npm" \
    --ignore-scripts --no-audit --no-fund --silent @evilmartians/lefthook >/dev/null 2>&1); then
  case "$(uname -m)" in x86_64) arch=x64 ;; aarch64) arch=arm64 ;; *) arch=$(uname -m) ;; esac
  # The skipped install script is what marks the binary executable.
  lefthook="$tools/npm/node_modules/@evilmartians/lefthook/bin/lefthook-linux-$arch/lefthook"
  if [ -f "$lefthook" ]; then chmod +x "$lefthook"; else lefthook=""; fi
fi
[ -n "$lefthook" ] || echo "   lefthook: could not be installed with npm; skipped"
venv="$tools/venv"
precommit="" detect=""
if python3 -m venv "$venv" >/dev/null 2>&1; then
  "$venv/bin/pip" install -q pre-commit >/dev/null 2>&1 && precommit="$venv/bin/pre-commit"
  "$venv/bin/pip" install -q detect-secrets >/dev/null 2>&1 && detect="$venv/bin/detect-secrets"
fi
[ -n "$precommit" ] || echo "   pre-commit: could not be installed with pip; skipped"
[ -n "$detect" ] || echo "   detect-secrets: could not be installed with pip; skipped"
if ! command -v git-secrets >/dev/null; then
  apt-get install -y -q git-secrets >/dev/null 2>&1 || true
fi
gitsecrets=$(command -v git-secrets || true)
[ -n "$gitsecrets" ] || echo "   git-secrets: not installed and apt could not install it; skipped"
# gitleaks is a Go binary: used if installed, or if apt has it (Debian 12 does not).
if ! command -v gitleaks >/dev/null; then
  apt-get install -y -q gitleaks >/dev/null 2>&1 || true
fi
gitleaks=$(command -v gitleaks || true)
[ -n "$gitleaks" ] || echo "   gitleaks: not installed and apt could not install it; skipped"

# One clone per hook set-up, each on the human branch with one no-op hook.
clone() {
  git clone -q --branch human "$repo" "$work/$1"
}
clone plain
clone agentguard
(cd "$work/agentguard" && "$bin" install >/dev/null)
if [ -n "$lefthook" ]; then
  clone lefthook
  printf 'pre-commit:\n  commands:\n    noop:\n      run: "true"\n' > "$work/lefthook/lefthook.yml"
  git -C "$work/lefthook" add lefthook.yml
  git -C "$work/lefthook" commit -q -m "lefthook config"
  (cd "$work/lefthook" && "$lefthook" install >/dev/null)
  export LEFTHOOK_BIN="$lefthook"
fi
if [ -n "$precommit" ]; then
  clone precommit
  cat > "$work/precommit/.pre-commit-config.yaml" <<'YAML'
repos:
  - repo: local
    hooks:
      - id: noop
        name: noop
        entry: "true"
        language: system
        pass_filenames: false
        always_run: true
YAML
  git -C "$work/precommit" add .pre-commit-config.yaml
  git -C "$work/precommit" commit -q -m "pre-commit config"
  (cd "$work/precommit" && "$precommit" install >/dev/null)
fi
# Each run commits a fresh change to one small file.
cat > "$work/stage.sh" <<'SH'
#!/bin/sh
set -e
cd "$1"
date +%s%N > notes/human.txt
git add notes/human.txt
SH
chmod +x "$work/stage.sh"

results="$work/results"
mkdir -p "$results"
bench() { # bench <name> <runs> <command> [hyperfine options...]
  local name=$1 n=$2 command=$3 warmup=1
  shift 3
  [ "$n" -ge 5 ] || warmup=0
  hyperfine -N -i --style none --warmup "$warmup" --runs "$n" --export-json "$results/$name.json" "$@" "$command" >/dev/null 2>"$results/$name.log"
  printf '   %-22s done (load %s)\n' "$name" "$(cut -d' ' -f1-3 /proc/loadavg)"
}
peak() { # peak <name> <dir> <command...>: maximum resident set size in KB
  local name=$1 dir=$2
  shift 2
  (cd "$dir" && /usr/bin/time -v "$@" >/dev/null 2>"$results/$name.time" </dev/null) || true
  awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}' "$results/$name.time" > "$results/$name.rss"
}

echo "== timing (hyperfine, $runs runs; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
cd "$repo"
bench check "$runs" "$bin check --no-run --format json agent/big"
bench diff "$runs" "git diff agent/big^ agent/big"
bench verify "$runs" "$bin verify --no-run --format json main..agent/long"
bench log "$runs" "git log -p main..agent/long"
for setup in plain agentguard lefthook precommit; do
  [ -d "$work/$setup" ] || continue
  bench "commit-$setup" "$runs" "git -C $work/$setup commit -q -m human-change" --prepare "$work/stage.sh $work/$setup"
done
cd "$work/ds"
bench scan-sample "$runs" "$bin scan --format json corpus"
if [ -n "$detect" ]; then
  bench detect-secrets "$slow_runs" "$detect scan --all-files corpus"
fi
if [ -n "$gitleaks" ]; then
  # `dir` since gitleaks 8.19; older releases scan a directory with `detect --no-git`.
  if "$gitleaks" dir --help >/dev/null 2>&1; then
    bench gitleaks "$runs" "$gitleaks dir corpus --no-banner --exit-code 0 --report-path /dev/null"
  else
    bench gitleaks "$runs" "$gitleaks detect --no-git --source corpus --no-banner --exit-code 0 --report-path /dev/null"
  fi
fi
cd "$work/gs"
bench scan-full "$runs" "$bin scan --format json corpus"
if [ -n "$gitsecrets" ]; then
  git secrets --register-aws >/dev/null
  git secrets --add 'gh[pousr]_[A-Za-z0-9]{36}' >/dev/null
  bench git-secrets "$runs" "git secrets --scan --no-index"
fi

echo "== peak memory (/usr/bin/time -v)"
peak check "$repo" "$bin" check --no-run --format json agent/big
peak diff "$repo" git diff agent/big^ agent/big
peak verify "$repo" "$bin" verify --no-run --format json main..agent/long
peak log "$repo" git log -p main..agent/long
for setup in plain agentguard lefthook precommit; do
  [ -d "$work/$setup" ] || continue
  "$work/stage.sh" "$work/$setup"
  peak "commit-$setup" "$work/$setup" git commit -q -m human-change
done
peak scan-full "$work/gs" "$bin" scan --format json corpus
[ -z "$detect" ] || peak detect-secrets "$work/ds" "$detect" scan --all-files corpus
[ -z "$gitsecrets" ] || peak git-secrets "$work/gs" git secrets --scan --no-index
# An acceptance command that prints 200 MB: the output is counted and hashed whole but kept
# capped, so agentguard's memory stays flat (the limit lives here, not in the tests).
flood="$work/flood"
git init -q -b main "$flood"
printf '[acceptance]\nmax_output = "4KiB"\n' > "$flood/.agentguard.toml"
git -C "$flood" add -A
git -C "$flood" -c user.name=b -c user.email=b@example.com commit -q -m policy
git -C "$flood" -c user.name=b -c user.email=b@example.com commit -q --allow-empty \
  -m "flood" -m "Agent-Task: T-1
Agent-Acceptance: head -c 200000000 /dev/zero"
peak flood "$flood" "$bin" check --format json

echo
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "versions: agentguard $("$bin" --version | cut -d' ' -f2), $(git --version), $(hyperfine --version)${lefthook:+, lefthook $("$lefthook" version 2>/dev/null)}${precommit:+, $("$precommit" --version)}${detect:+, detect-secrets $("$detect" --version)}${gitleaks:+, gitleaks $("$gitleaks" version 2>/dev/null)}"
python3 - "$results" "$added_bytes" "$largest" "$sample_bytes" <<'PY'
import json, os, sys
results, added, largest, sample = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def median(name):
    path = os.path.join(results, name + ".json")
    return json.load(open(path))["results"][0]["median"] if os.path.exists(path) else None
def rss(name):
    path = os.path.join(results, name + ".rss")
    try:
        return int(open(path).read().strip()) * 1024
    except (OSError, ValueError):
        return None
def ms(s): return f"{s * 1000:,.1f} ms" if s is not None else "skipped"
def mb(b): return f"{b / 1048576:,.1f} MiB" if b is not None else "-"
def rate(s, size=added): return f"{size / 1048576 / s:,.1f} MiB/s" if s else "-"
rows = []
def row(group, label, name, ref=None, extra="", ratio=None):
    m, r = median(name), median(ref) if ref else None
    if ratio is None:
        ratio = f"{m / r:.2f}x" if m is not None and r else ""
    rows.append((group, label, ms(m), ratio, extra, mb(rss(name))))
MB = f"{added / 1048576:.1f} MiB added"
row("big agent commit", "agentguard check --no-run", "check", "diff", rate(median("check")))
row("big agent commit", "git diff (full patch)", "diff", None, rate(median("diff")))
row("500-commit branch", "agentguard verify --no-run", "verify", "log")
row("500-commit branch", "git log -p", "log")
row("human commit", "no hooks", "commit-plain")
row("human commit", "agentguard hooks", "commit-agentguard", "commit-plain")
row("human commit", "lefthook (1 no-op hook)", "commit-lefthook", "commit-plain")
row("human commit", "pre-commit (1 no-op hook)", "commit-precommit", "commit-plain")
row(f"secret scan ({MB})", "agentguard (check --no-run)", "check", None, rate(median("check")))
row(f"secret scan ({MB})", "agentguard scan (the lines as files)", "scan-full", None, rate(median("scan-full")))
def slower(name, size, ref="scan-full"):
    m, a = median(name), median(ref)
    return f"{(added / a) / (size / m):.2f}x" if m and a else ""
row(f"secret scan ({MB})", "git-secrets --scan (AWS + 1 pattern)", "git-secrets", None,
    rate(median("git-secrets")), slower("git-secrets", added))
S = f"1/10 sample, {sample / 1048576:.1f} MiB"
row(f"secret scan ({S})", "agentguard scan", "scan-sample", None, rate(median("scan-sample"), sample))
row(f"secret scan ({S})", "detect-secrets scan", "detect-secrets", None,
    rate(median("detect-secrets"), sample), slower("detect-secrets", sample, "scan-sample") if median("detect-secrets") else "")
row(f"secret scan ({S})", "gitleaks dir", "gitleaks", None,
    rate(median("gitleaks"), sample), slower("gitleaks", sample, "scan-sample") if median("gitleaks") else "")
row("200 MB of command output", "agentguard check (acceptance run)", "flood")
head = ("workload", "command", "median", "ratio", "throughput", "peak RSS")
widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths)) + " |"
print(line(head))
print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
for r in rows: print(line(r))
print("ratio: median time over that of its group's reference: git diff, git log -p, no hooks")
print("secret scan ratio: agentguard scan's MiB/s over the tool's on the same files; above 1x agentguard is faster")
print()
def target(ok, text):
    print(("PASS " if ok else "MISS ") + text) if ok is not None else print("SKIP " + text)
def ratio(a, b):
    a, b = median(a), median(b)
    return a / b if a is not None and b else None
hook = ratio("commit-agentguard", "commit-plain")
target(hook is not None and hook <= 1.10, f"human-commit hook overhead <= 1.10x no hooks ({hook:.2f}x)" if hook else "hook overhead")
for other in ("lefthook", "precommit"):
    o = median(f"commit-{other}")
    a = median("commit-agentguard")
    target(None if o is None else a < o, f"agentguard hooks below {other} ({ms(a)} vs {ms(o)})")
r = ratio("check", "diff")
target(r <= 1.3, f"check --no-run <= 1.3x git diff ({r:.2f}x)")
r = ratio("verify", "log")
target(r <= 2.0, f"verify over 500 commits <= 2x git log -p ({r:.2f}x)")
speed = added / 1048576 / median("check")
target(speed >= 300, f"scanning >= 300 MiB/s, whole process with diffing ({speed:.0f} MiB/s)")
d = median("detect-secrets")
sample_speed = sample / 1048576 / median("scan-sample") if median("scan-sample") else speed
times = sample_speed / (sample / 1048576 / d) if d else None
target(None if d is None else times >= 20,
       f"scanning >= 20x detect-secrets ({times:.0f}x its MiB/s)" if d else "scanning >= 20x detect-secrets")
bound = 2 * largest + 64 * 1048576
for name, label in (("check", "check"), ("verify", "verify")):
    p = rss(name)
    target(None if p is None else p <= bound, f"peak memory of {label} <= 2x largest changed file + 64 MiB ({mb(p)} vs {mb(bound)})")
p = rss("flood")
target(None if p is None else p <= 64 * 1048576, f"peak memory of a check whose command prints 200 MB <= 64 MiB ({mb(p)})")
PY
