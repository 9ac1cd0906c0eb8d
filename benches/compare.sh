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
# trailers. Then times (medians of RUNS runs, after a warm-up) and measures
# peak memory with /usr/bin/time -v:
# Commands whose times are compared run in turn, one run each per round (benches/interleave.py);
# the others with hyperfine.
#   - agentguard check --no-run on the big commit vs git diff of it (full patch to /dev/null)
#   - agentguard verify --no-run over the 500 commits vs git log -p of the range
#   - a human git commit (one small file changed per run, on a non-agent branch) with
#     agentguard's hooks (as installed, and with install --every-branch) vs no hooks vs
#     lefthook vs pre-commit, each with one no-op hook, and vs four shell hooks that do
#     nothing (the floor of four hooks), in the 20,000-file repository and in one of 20 files
#   - the agent's loop, through the installed hooks (needs user namespaces for the sandbox):
#     an agent commit blocked for scope, and one for a credential, under a 30-second test
#     suite; a first and a second agent commit with a 2-second `reuse` setup whose inputs
#     did not change (the second skips it); verify over 20 agent commits (the suite runs once)
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
  # The profile `cargo install --profile dist` builds: what people run.
  echo "== building agentguard (dist profile)"
  cargo build --profile dist --locked --manifest-path "$root/Cargo.toml" -q
  # A copy, so a rebuild while this runs changes nothing measured.
  cp "$root/target/dist/agentguard" "$work/bin/agentguard"
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
# The small repository: 20 files.
python3 "$root/benches/gen_repo.py" --out "$work/stream" --files 20 --changed 2 \
  --branch-commits 2 --added-mb 0.01 >/dev/null
git init -q "$work/small"
git -C "$work/small" fast-import --quiet < "$work/stream"
rm "$work/stream"

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

# One clone per hook set-up and repository, each on the human branch with one no-op hook;
# the small repository's are named small-<set-up>.
clone() { # clone <source> <name>
  git clone -q --branch human "$1" "$work/$2"
}
setups() { # setups <source> <prefix>
  local from=$1 p=$2
  clone "$from" "${p}plain"
  clone "$from" "${p}agentguard"
  (cd "$work/${p}agentguard" && "$bin" install >/dev/null)
  # Every hook on every branch, as on an agent branch: the path a person's branch skips.
  clone "$from" "${p}agentguardall"
  (cd "$work/${p}agentguardall" && "$bin" install --every-branch >/dev/null)
  # The floor of any tool with agentguard's four commit hooks: four shell hooks doing nothing.
  clone "$from" "${p}noop4"
  for hook in pre-commit prepare-commit-msg commit-msg post-commit; do
    printf '#!/bin/sh\nexit 0\n' > "$work/${p}noop4/.git/hooks/$hook"
    chmod +x "$work/${p}noop4/.git/hooks/$hook"
  done
  if [ -n "$lefthook" ]; then
    clone "$from" "${p}lefthook"
    printf 'pre-commit:\n  commands:\n    noop:\n      run: "true"\n' > "$work/${p}lefthook/lefthook.yml"
    git -C "$work/${p}lefthook" add lefthook.yml
    git -C "$work/${p}lefthook" commit -q -m "lefthook config"
    (cd "$work/${p}lefthook" && "$lefthook" install >/dev/null)
  fi
  if [ -n "$precommit" ]; then
    clone "$from" "${p}precommit"
    cp "$work/pre-commit-config.yaml" "$work/${p}precommit/.pre-commit-config.yaml"
    git -C "$work/${p}precommit" add .pre-commit-config.yaml
    git -C "$work/${p}precommit" commit -q -m "pre-commit config"
    (cd "$work/${p}precommit" && "$precommit" install >/dev/null)
  fi
}
[ -z "$lefthook" ] || export LEFTHOOK_BIN="$lefthook"
cat > "$work/pre-commit-config.yaml" <<'YAML'
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
setups "$repo" ""
setups "$work/small" small-
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

# What a ratio is taken between is timed in turn, one run of each per round
# (benches/interleave.py), so load that comes and goes falls on both sides alike.
together() { # together <label> <name> <prepare> <command> [...]
  local label=$1
  shift
  python3 "$root/benches/interleave.py" --runs "$runs" --results "$results" "$@"
  printf '   %-22s done (load %s)\n' "$label" "$(cut -d' ' -f1-3 /proc/loadavg)"
}

echo "== timing ($runs runs; load before: $(cut -d' ' -f1-3 /proc/loadavg))"
cd "$repo"
together "check, git diff" check - "$bin check --no-run --format json agent/big" \
  diff - "git diff agent/big^ agent/big"
together "verify, git log -p" verify - "$bin verify --no-run --format json main..agent/long" \
  log - "git log -p main..agent/long"
for prefix in "" small-; do
  commits=()
  for setup in plain noop4 agentguard agentguardall lefthook precommit; do
    [ -d "$work/$prefix$setup" ] || continue
    commits+=("commit-$prefix$setup" "$work/stage.sh $work/$prefix$setup" "git -C $work/$prefix$setup commit -q -m human-change")
  done
  together "commits${prefix:+ (small)}" "${commits[@]}"
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

# The agent's loop through the installed hooks, in a small repository of its own.
loop_repo() { # loop_repo <name> <policy>: main with the policy and hooks, on agent/T-1
  local dir="$work/$1"
  git init -q -b main "$dir"
  printf '%s\n' "$2" > "$dir/.agentguard.toml"
  mkdir -p "$dir/src" "$dir/secrets"
  echo "requests==2.32" > "$dir/requirements.txt"
  echo "print('hello')" > "$dir/src/app.py"
  echo "placeholder" > "$dir/secrets/README"
  git -C "$dir" add -A
  git -C "$dir" commit -q -m base
  (cd "$dir" && "$bin" install >/dev/null)
  git -C "$dir" checkout -q -b agent/T-1
}
now() { date +%s%N; }
seconds() { python3 -c "import sys; print(f'{(int(sys.argv[2]) - int(sys.argv[1])) / 1e9:.3f}')" "$1" "$2"; }
single() { # single <name> <seconds>: one timing, in hyperfine's JSON shape
  printf '{"results":[{"median":%s}]}\n' "$2" > "$results/$1.json"
}
task='Agent-Task: T-1'
if ! unshare --user --map-root-user --net true 2>/dev/null; then
  echo "== agent loop: skipped (no user namespaces for the sandbox)"
else
  echo "== agent loop (through the installed hooks)"
  # Blocked before a 30-second suite starts: a denied path, and a credential.
  loop_repo blocked "$(printf '[scope]\ndeny = ["secrets/"]\n[acceptance]\ncommands = ["sleep 30"]')"
  echo "token = 1" > "$work/blocked/secrets/token.txt"
  git -C "$work/blocked" add secrets/token.txt
  bench blocked-scope "$runs" "git -C $work/blocked commit -q -m change -m '$task'"
  # Every run was refused (a commit that went through would leave the next nothing to do).
  [ "$(git -C "$work/blocked" rev-list --count HEAD)" = 1 ] || echo "a commit went through" > "$results/blocked.leak"
  git -C "$work/blocked" rm -q --cached secrets/token.txt
  rm "$work/blocked/secrets/token.txt"
  # A GitHub token, made up here so no literal token lives in this file.
  key="ghp_$(python3 -c 'import random, string; r = random.Random(7); print("".join(r.choice(string.ascii_letters + string.digits) for _ in range(36)))')"
  printf 'GITHUB_TOKEN = "%s"\n' "$key" > "$work/blocked/src/settings.py"
  git -C "$work/blocked" add src/settings.py
  bench blocked-credential "$runs" "git -C $work/blocked commit -q -m change -m '$task'"
  [ "$(git -C "$work/blocked" rev-list --count HEAD)" = 1 ] || echo "a commit went through" > "$results/blocked.leak"

  # Setup reuse: a 2-second setup that reads requirements.txt, in a reused checkout.
  loop_repo setup "$(printf '[acceptance]\nworktree = "reuse"\nsetup = ["cat requirements.txt > /dev/null; sleep 2"]\ncommands = ["true"]')"
  for n in 1 2; do
    echo "n = $n" > "$work/setup/src/m$n.py"
    git -C "$work/setup" add "src/m$n.py"
    start=$(now)
    git -C "$work/setup" commit -q -m "change $n" -m "$task" 2>"$results/setup-$n.stderr" || true
    single "setup-$n" "$(seconds "$start" "$(now)")"
    git -C "$work/setup" notes --ref agentguard show HEAD > "$results/setup-$n.note" 2>/dev/null || true
  done
  grep -o 'setup reused (inputs unchanged, hash [0-9a-f]*' "$results/setup-2.note" | head -1 > "$results/setup-2.reused" || true

  # verify over 20 agent commits, each committed through the hooks: the suite runs once.
  count="$work/suite-runs"
  : > "$count"
  loop_repo verify "$(printf '[acceptance]\nwritable = ["%s"]\ncommands = ["echo ran >> %s"]' "$work" "$count")"
  for n in $(seq 1 20); do
    echo "n = $n" > "$work/verify/src/m$n.py"
    git -C "$work/verify" add "src/m$n.py"
    git -C "$work/verify" commit -q -m "change $n" -m "$task" 2>/dev/null
  done
  before=$(wc -l < "$count")
  start=$(now)
  (cd "$work/verify" && "$bin" verify --base main >/dev/null 2>&1) && echo pass > "$results/verify20.verdict" || echo block > "$results/verify20.verdict"
  single verify20 "$(seconds "$start" "$(now)")"
  echo $(( $(wc -l < "$count") - before )) > "$results/verify20.runs"
  echo "   agent loop done (load $(cut -d' ' -f1-3 /proc/loadavg))"
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
for prefix, group in (("", "human commit, 20,000 files"), ("small-", "human commit, 20 files")):
    row(group, "no hooks", f"commit-{prefix}plain")
    row(group, "4 empty shell hooks (the floor)", f"commit-{prefix}noop4", f"commit-{prefix}plain")
    row(group, "agentguard hooks (a person's branch)", f"commit-{prefix}agentguard", f"commit-{prefix}plain")
    row(group, "agentguard, install --every-branch", f"commit-{prefix}agentguardall", f"commit-{prefix}plain")
    row(group, "lefthook (1 no-op hook)", f"commit-{prefix}lefthook", f"commit-{prefix}plain")
    row(group, "pre-commit (1 no-op hook)", f"commit-{prefix}precommit", f"commit-{prefix}plain")
def fact(name):
    try:
        return open(os.path.join(results, name)).read().strip()
    except OSError:
        return None
row("agent loop", "blocked agent commit: denied path, 30 s suite", "blocked-scope")
row("agent loop", "blocked agent commit: credential, 30 s suite", "blocked-credential")
row("agent loop", "agent commit, 2 s setup (first)", "setup-1")
row("agent loop", "agent commit, setup inputs unchanged", "setup-2", None,
    "setup reused" if fact("setup-2.reused") else "setup ran")
row("agent loop", "verify over 20 agent commits", "verify20", None,
    f"suite ran {fact('verify20.runs')}x, {fact('verify20.verdict')}" if fact("verify20.runs") else "")
row(f"secret scan ({MB})", "agentguard (check --no-run)", "check", None, rate(median("check")))
row(f"secret scan ({MB})", "agentguard scan (the lines as files)", "scan-full", None, rate(median("scan-full")))
def slower(name, size, ref="scan-full", ref_size=added):
    m, a = median(name), median(ref)
    return f"{(ref_size / a) / (size / m):.2f}x" if m and a else ""
row(f"secret scan ({MB})", "git-secrets --scan (AWS + 1 pattern)", "git-secrets", None,
    rate(median("git-secrets")), slower("git-secrets", added))
S = f"1/10 sample, {sample / 1048576:.1f} MiB"
row(f"secret scan ({S})", "agentguard scan", "scan-sample", None, rate(median("scan-sample"), sample))
row(f"secret scan ({S})", "detect-secrets scan", "detect-secrets", None,
    rate(median("detect-secrets"), sample), slower("detect-secrets", sample, "scan-sample", sample) if median("detect-secrets") else "")
row(f"secret scan ({S})", "gitleaks dir", "gitleaks", None,
    rate(median("gitleaks"), sample), slower("gitleaks", sample, "scan-sample", sample) if median("gitleaks") else "")
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
target(hook is not None and hook <= 1.10, f"human-commit hook overhead <= 1.10x no hooks, 20,000 files ({hook:.2f}x)" if hook else "hook overhead")
for prefix, size in (("", "20,000 files"), ("small-", "20 files")):
    for other in ("lefthook", "precommit"):
        o = median(f"commit-{prefix}{other}")
        a = median(f"commit-{prefix}agentguard")
        target(None if o is None or a is None else a < o, f"agentguard hooks below {other}, {size} ({ms(a)} vs {ms(o)})")
for name, label in (("blocked-scope", "denied path"), ("blocked-credential", "credential")):
    b = median(name)
    target(None if b is None else b < 1.0 and not fact("blocked.leak"),
           f"an agent commit blocked for a {label} returns in < 1 s under a 30 s suite ({ms(b)}{', ' + fact('blocked.leak') if fact('blocked.leak') else ''})")
if median("setup-2") is not None:
    target(bool(fact("setup-2.reused")), f"a second commit with unchanged setup inputs skips setup ({ms(median('setup-1'))} then {ms(median('setup-2'))})")
else:
    target(None, "setup reuse")
runs20 = fact("verify20.runs")
target(None if runs20 is None else runs20 == "1" and fact("verify20.verdict") == "pass",
       f"verify over 20 commits runs the suite once (ran {runs20}x, {fact('verify20.verdict')})")
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
