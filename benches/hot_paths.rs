//! The hot paths of a check, through the public API only: trailer parsing, layered scope
//! globs over 100k paths, the risk scan of added lines, and the change fingerprint.
//!
//!     cargo bench --bench hot_paths
//!
//! `benches/scan.rs` has the scan's edge cases (one 4.6 MB line, redaction); this file keeps
//! the everyday shapes, sized as `benches/compare.sh` sizes its repositories.

use agentguard::internals::diff::{fingerprint, AddedLine, Entry, FileAdditions, Side, Status};
use agentguard::internals::glob::{Case, GlobList};
use agentguard::internals::policy::{Policy, PolicySource, DEFAULT_POLICY};
use agentguard::internals::risk::{detached_change, scan, CompiledPolicy, RiskInput};
use agentguard::internals::scope;
use agentguard::internals::task::ScopeLayer;
use agentguard::internals::trailers;
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const REALISTIC_MESSAGE: &str = "\
Rework the session refresh so tokens rotate on every use

The old refresh kept the same token for its whole lifetime; a leaked token stayed
valid until it expired. Rotate on every refresh and revoke the previous one.

Also moves the expiry check into the middleware, where the other checks live.

Agent-Task: AUTH-142
Agent-Name: codex
Agent-Allow: src/auth/**
Agent-Allow: tests/auth/**
Agent-Deny: src/auth/keys/
Agent-Acceptance: cargo test -p auth
  --all-features
Agent-Requires-Approval: auth
Signed-off-by: A Person <a.person@example.com>
";

fn message_with_trailers(n: usize) -> String {
    let mut message = String::from("Generated change\n\nA body paragraph.\n\n");
    for i in 0..n {
        match i % 4 {
            0 => message.push_str(&format!("Agent-Allow: src/module{i}/**\n")),
            1 => message.push_str(&format!("Agent-Deny: src/module{i}/secrets/\n")),
            2 => message.push_str(&format!("Agent-Acceptance: make test-{i}\n  --verbose\n")),
            _ => message.push_str(&format!("Co-authored-by: Person {i} <p{i}@example.com>\n")),
        }
    }
    message
}

fn bench_trailers(c: &mut Criterion) {
    let mut group = c.benchmark_group("trailers");
    group.bench_function("parse a realistic message", |b| {
        b.iter(|| trailers::parse(black_box(REALISTIC_MESSAGE), "#").len())
    });
    let big = message_with_trailers(1_000);
    group.throughput(Throughput::Bytes(big.len() as u64));
    group.bench_function("parse 1,000 trailers", |b| {
        b.iter(|| trailers::parse(black_box(&big), "#").len())
    });
    group.finish();
}

/// `count` repository paths spread over a realistic tree: sources, tests, docs, config.
fn synthetic_paths(count: usize) -> Vec<String> {
    let roots = [
        "src",
        "tests",
        "docs",
        "crates/core/src",
        "web/app",
        "infra",
    ];
    let exts = ["rs", "py", "ts", "md", "yml", "toml", "sql", "json"];
    (0..count)
        .map(|i| {
            let root = roots[i % roots.len()];
            let ext = exts[(i / 7) % exts.len()];
            format!(
                "{root}/m{:03}/sub{:02}/file{i:06}.{ext}",
                i / 500,
                (i / 37) % 40
            )
        })
        .collect()
}

fn layers() -> Vec<ScopeLayer> {
    let globs = |patterns: &[&str]| match GlobList::new(patterns) {
        Ok(list) => list,
        Err(e) => panic!("bench globs: {e}"),
    };
    let deny = |patterns: &[&str]| match GlobList::with_case(patterns, Case::Insensitive) {
        Ok(list) => list,
        Err(e) => panic!("bench globs: {e}"),
    };
    vec![
        ScopeLayer {
            name: "policy [scope]".into(),
            allow: Some(globs(&["**"])),
            deny: deny(&[
                "secrets/",
                "*.pem",
                "*.key",
                ".env",
                ".env.*",
                "infra/prod/**",
            ]),
        },
        ScopeLayer {
            name: ".agentguard/tasks/T.toml".into(),
            allow: Some(globs(&[
                "src/**",
                "tests/**",
                "crates/**",
                "docs/**",
                "*.md",
            ])),
            deny: deny(&["src/auth/keys/", "migrations/"]),
        },
        ScopeLayer {
            name: "trailers".into(),
            allow: Some(globs(&[
                "src/**",
                "tests/**",
                "crates/core/**",
                "docs/**/*.md",
            ])),
            deny: deny(&["**/generated/**"]),
        },
    ]
}

fn bench_scope(c: &mut Criterion) {
    let paths = synthetic_paths(100_000);
    let entries: Vec<(Status, Option<&str>, Option<&str>)> = paths
        .iter()
        .map(|p| (Status::Modified, Some(p.as_str()), Some(p.as_str())))
        .collect();
    let change = detached_change(&entries);
    let layers = layers();
    let mut group = c.benchmark_group("scope");
    group.sample_size(10);
    group.throughput(Throughput::Elements(paths.len() as u64));
    group.bench_function("check 100k paths against 3 layers", |b| {
        b.iter(|| scope::check(black_box(&change), &layers).len())
    });
    group.bench_function("compile the 3 layers", |b| {
        b.iter(|| black_box(self::layers()))
    });
    group.finish();
}

const POOL: &[&str] = &[
    "    let token = lexer.next_token()?;",
    "    if self.password_policy.min_len > input.len() { return Err(Error::TooShort); }",
    "    assert_eq!(parsed.items.len(), expected.len());",
    "    let url = format!(\"https://{}/api/v1/users/{}\", host, user_id);",
    "    // Delete stale entries from the cache before the next refresh.",
    "    for (key, value) in map.iter().filter(|(k, _)| k.starts_with(prefix)) {",
    "        api_key = os.environ.get(\"API_KEY\")",
    "        self.assertEqual(result.status_code, 200)",
    "  const secret = await vault.read(`kv/${service}/secret`);",
    "export async function fetchUsers({ page = 1, perPage = 50 } = {}) {",
    "    password: ${DB_PASSWORD}",
    "    }",
];

/// 2,000 changed files with ~31 MiB of added lines, as compare.sh's big agent commit.
fn big_change() -> (
    agentguard::internals::diff::Change,
    Vec<FileAdditions>,
    usize,
) {
    let hit = format!(
        "GITHUB = \"gh{}_{}\"",
        "p", "BenchFixtureBody5Kq8Zt2Lw9Xv4Rp7QmNb"
    );
    let exts = ["rs", "py", "ts", "yml", "go"];
    let mut bytes = 0;
    let mut files = Vec::new();
    let mut paths = Vec::new();
    for n in 0..2_000 {
        let path = format!("src/mod{:03}/file{n:05}.{}", n / 20, exts[n % exts.len()]);
        let lines: Vec<AddedLine> = (0..250)
            .map(|i| {
                let global = n * 250 + i;
                let text = if global % 4_000 == 3_999 {
                    hit.clone()
                } else {
                    format!("{} // {global}", POOL[(i * 7 + n) % POOL.len()])
                };
                bytes += text.len() + 1;
                AddedLine {
                    number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    text,
                }
            })
            .collect();
        paths.push(path.clone());
        files.push(FileAdditions {
            path,
            binary: false,
            lines,
        });
    }
    let entries: Vec<(Status, Option<&str>, Option<&str>)> = paths
        .iter()
        .map(|p| (Status::Modified, Some(p.as_str()), Some(p.as_str())))
        .collect();
    (detached_change(&entries), files, bytes)
}

fn bench_risk(c: &mut Criterion) {
    let policy = match Policy::parse(DEFAULT_POLICY, "built-in", PolicySource::DefaultNoBase) {
        Ok(policy) => CompiledPolicy::new(policy),
        Err(e) => panic!("default policy: {e}"),
    };
    let (change, additions, bytes) = big_change();
    let mut group = c.benchmark_group("risk");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    group.bench_function(
        format!("scan {} MiB added over 2,000 files", bytes >> 20),
        |b| {
            b.iter(|| {
                scan(&RiskInput {
                    change: &change,
                    additions: &additions,
                    acceptance: &[],
                    compiled: &policy,
                    hooks_path: None,
                })
                .len()
            })
        },
    );
    group.finish();
}

fn entries(count: usize) -> Vec<Entry> {
    let oid = |n: usize| {
        let hex = format!("{:040x}", n.wrapping_mul(0x9e37_79b9_7f4a_7c15) as u128 + 1);
        match git2::Oid::from_str(&hex) {
            Ok(oid) => oid,
            Err(e) => panic!("oid: {e}"),
        }
    };
    (0..count)
        .map(|n| {
            let path = format!("src/mod{:03}/file{n:05}.rs", n / 20).into_bytes();
            let side = |o| Side {
                path: path.clone(),
                mode: 0o100644,
                oid: oid(o),
            };
            Entry {
                status: Status::Modified,
                old: Some(side(n * 2)),
                new: Some(side(n * 2 + 1)),
                symlink: None,
            }
        })
        .collect()
}

fn bench_fingerprint(c: &mut Criterion) {
    let mut group = c.benchmark_group("fingerprint");
    let entries = entries(2_000);
    group.throughput(Throughput::Elements(entries.len() as u64));
    group.bench_function("2,000 entries", |b| {
        b.iter(|| fingerprint(black_box(&entries)))
    });
    group.finish();
}

/// Every hook run reads the policy at its base; without a file, the built-in default.
fn bench_policy(c: &mut Criterion) {
    let mut group = c.benchmark_group("policy");
    group.bench_function("parse the built-in default policy", |b| {
        b.iter(|| {
            Policy::parse(
                black_box(DEFAULT_POLICY),
                "built-in",
                PolicySource::DefaultNoBase,
            )
            .is_ok()
        })
    });
    group.finish();
}

criterion_group!(
    benches,
    bench_policy,
    bench_trailers,
    bench_scope,
    bench_risk,
    bench_fingerprint
);
criterion_main!(benches);
