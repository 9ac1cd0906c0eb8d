"""A git fast-import stream for benches/compare.sh.

    python3 benches/gen_repo.py [--out STREAM] [--files N] [--changed N]
                                [--branch-commits N] [--added-mb MB]

Without --out the stream is written to a new temporary directory and its path printed, so a
stray run never leaves a large file in the working tree.

refs/heads/main      FILES source files (~1.5 KB each)
refs/heads/human     main, for the human-commit runs
refs/heads/agent/big one agent commit touching CHANGED files (90% rewritten with blocks of new
                     lines inserted, 10% new) carrying ADDED_MB of added lines: realistic code,
                     many lines with rule keywords, a fake credential every few thousand lines
refs/heads/agent/long BRANCH_COMMITS agent commits with trailers, four files each

Secrets are assembled here at run time; no literal token lives in the source.
"""

import argparse
import os
import tempfile

parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
parser.add_argument("--out", help="where to write the stream (default: a new temporary directory)")
parser.add_argument("--files", type=int, default=20000, help="source files on main")
parser.add_argument("--changed", type=int, default=2000, help="files the big agent commit touches")
parser.add_argument("--branch-commits", type=int, default=500, help="commits on agent/long")
parser.add_argument("--added-mb", type=float, default=30.0, help="MiB of lines the big commit adds")
args = parser.parse_args()
if min(args.files, args.changed, args.branch_commits) < 1 or args.added_mb <= 0:
    parser.error("sizes must be positive")
if args.changed > args.files:
    parser.error("--changed cannot exceed --files")
out = args.out or os.path.join(tempfile.mkdtemp(prefix="agentguard-bench-"), "stream")
files, changed, branch_commits, added_mb = args.files, args.changed, args.branch_commits, args.added_mb

POOL = [
    "    let token = lexer.next_token()?;",
    "    if self.password_policy.min_len > input.len() { return Err(Error::TooShort); }",
    "    assert_eq!(parsed.items.len(), expected.len());",
    "    let url = format!(\"https://{}/api/v1/users/{}\", host, user_id);",
    "    // Delete stale entries from the cache before the next refresh.",
    "    for (key, value) in map.iter().filter(|(k, _)| k.starts_with(prefix)) {",
    "pub fn handle_request(&self, req: &Request) -> Result<Response, Error> {",
    "        let secret = self.store.get(&key).ok_or(Error::Missing)?;",
    "        api_key = os.environ.get(\"API_KEY\")",
    "        response = requests.get(f\"{BASE_URL}/items\", headers={\"Authorization\": f\"Bearer {token}\"})",
    "        self.assertEqual(result.status_code, 200)",
    "        logger.info(\"deleted %d rows from %s\", count, table)",
    "  const secret = await vault.read(`kv/${service}/secret`);",
    "  expect(wrapper.find('.item').length).toBe(3);",
    "export async function fetchUsers({ page = 1, perPage = 50 } = {}) {",
    "    if (!session?.user) throw new UnauthorizedError('login required');",
    "  return items.map((item) => ({ ...item, total: item.price * item.quantity }));",
    "    password: ${DB_PASSWORD}",
    "        uses: actions/cache@v4",
    "    }",
    "",
]


def hits():
    return [
        "GITHUB = \"gh" + "p_" + "BenchFixtureBody5Kq8Zt2Lw9Xv4Rp7QmNb\"",
        "aws_access_key_id = \"AKIA" + "QWERTYUIOPASDFGH\"",
        "DATABASE_URL = \"postgres://app:" + "Zr7q-Lp2x-Vw9m@db.internal:5432/app\"",
        "client_secret = \"q8ZtR2mL" + "w9XvB4nKp7Hs\"",
    ]


HITS = hits()


def body(i, extra=0):
    lines = [f"// module {i}", f"pub fn f{i}(x: u64) -> u64 {{"]
    lines += [
        f"    let v{j} = x.wrapping_mul({j + i}) ^ 0x{(i * 7919 + j) % 65536:04x};"
        for j in range(20 + extra)
    ]
    lines += ["    x", "}", ""]
    return lines


counter = [0]


def new_lines(n, salt):
    out = []
    for k in range(n):
        counter[0] += 1
        c = counter[0]
        if c % 4000 == 3999:
            out.append(HITS[(c // 4000) % len(HITS)])
        else:
            out.append(POOL[(k * 7 + salt) % len(POOL)] + f" // {c}")
    return out


def data(lines):
    return ("\n".join(lines)).encode()


def blob(f, content):
    f.write(b"data %d\n" % len(content))
    f.write(content)
    f.write(b"\n")


when = [1767225600]


def commit(f, ref, msg, parent, changes, author="A <a@example.com>"):
    when[0] += 60
    f.write(f"commit {ref}\n".encode())
    f.write(f"author {author} {when[0]} +0000\ncommitter {author} {when[0]} +0000\n".encode())
    blob(f, msg.encode())
    if parent:
        f.write(f"from {parent}\n".encode())
    for path, content in changes:
        f.write(f"M 100644 inline {path}\n".encode())
        blob(f, content)
    f.write(b"\n")


def path(i):
    return f"src/mod{i // 100:03d}/file{i:05d}.rs"


with open(out, "wb") as f:
    commit(f, "refs/heads/main", "base\n", None, [(path(i), data(body(i))) for i in range(files)])
    commit(f, "refs/heads/human", "human base\n", "refs/heads/main", [("notes/README", b"notes\n")])

    # The big agent commit: ~ADDED_MB over CHANGED files, in three inserted blocks per file.
    per_file = int(added_mb * 1024 * 1024 / changed)
    avg = sum(len(l) + 8 for l in POOL) / len(POOL)
    lines_per_file = max(3, int(per_file / avg))
    new_count = changed // 10
    modified = changed - new_count
    step = max(1, files // modified)
    change = []
    for n, i in enumerate(range(0, files, step)):
        if n >= modified:
            break
        old = body(i)
        third = lines_per_file // 3
        merged = (
            old[:6] + new_lines(third, n) + old[6:14] + new_lines(third, n + 1) + old[14:]
            + new_lines(lines_per_file - 2 * third, n + 2)
        )
        change.append((path(i), data(merged)))
    exts = ["py", "ts", "yml", "rs", "go"]
    for n in range(new_count):
        change.append(
            (f"src/new{n // 50:02d}/n{n:05d}.{exts[n % len(exts)]}", data(new_lines(lines_per_file, n)))
        )
    msg = "Rework every module\n\nAgent-Task: BENCH-1\nAgent-Name: codex\nAgent-Allow: src/**\n"
    commit(f, "refs/heads/agent/big", msg, "refs/heads/main", change, "Codex <agent@example.com>")

    # The long agent branch: each commit rewrites three files and adds one.
    for c in range(branch_commits):
        changes = []
        for k in range(3):
            i = (c * 3 + k) * 7 % files
            old = body(i)
            changes.append((path(i), data(old[:5] + new_lines(30, c + k) + old[5:])))
        changes.append((f"src/feature/f{c:04d}.rs", data(new_lines(40, c))))
        msg = (
            f"Step {c} of the feature\n\nMore work on the feature.\n\n"
            "Agent-Task: BENCH-2\nAgent-Name: codex\nAgent-Allow: src/**\n"
        )
        parent = "refs/heads/main" if c == 0 else None
        commit(f, "refs/heads/agent/long", msg, parent, changes, "Codex <agent@example.com>")

print(out)
