//! Throughput of the risk scan over a large synthetic change: realistic Rust, Python,
//! TypeScript and YAML lines, many of them carrying rule keywords (token, password, delete,
//! assert, key), with a real hit every few thousand lines.
//!
//!     cargo bench --bench scan
//!
//! Criterion reports time and MB/s (added-line bytes per second) for each benchmark.

use agentguard::internals::diff::{AddedLine, Change, FileAdditions, Status};
use agentguard::internals::policy::{Policy, PolicySource, DEFAULT_POLICY};
use agentguard::internals::risk::{
    detached_change, redact_secrets, scan, CompiledPolicy, RiskInput,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use std::hint::black_box;

const TARGET_BYTES: usize = 32 * 1024 * 1024;
const LINES_PER_FILE: usize = 2_000;

const RUST: &[&str] = &[
    "    let token = lexer.next_token()?;",
    "    if self.password_policy.min_len > input.len() { return Err(Error::TooShort); }",
    "    assert_eq!(parsed.items.len(), expected.len());",
    "    let url = format!(\"https://{}/api/v1/users/{}\", host, user_id);",
    "    // Delete stale entries from the cache before the next refresh.",
    "    for (key, value) in map.iter().filter(|(k, _)| k.starts_with(prefix)) {",
    "pub fn handle_request(&self, req: &Request) -> Result<Response, Error> {",
    "        let secret = self.store.get(&key).ok_or(Error::Missing)?;",
    "    }",
    "",
];
const PYTHON: &[&str] = &[
    "        api_key = os.environ.get(\"API_KEY\")",
    "        response = requests.get(f\"{BASE_URL}/items\", headers={\"Authorization\": f\"Bearer {token}\"})",
    "        self.assertEqual(result.status_code, 200)",
    "        logger.info(\"deleted %d rows from %s\", count, table)",
    "    def test_refresh_token_rotates(self, client, user):",
    "        return [item.to_dict() for item in queryset.filter(owner=user)]",
];
const TYPESCRIPT: &[&str] = &[
    "  const secret = await vault.read(`kv/${service}/secret`);",
    "  expect(wrapper.find('.item').length).toBe(3);",
    "export async function fetchUsers({ page = 1, perPage = 50 } = {}) {",
    "    if (!session?.user) throw new UnauthorizedError('login required');",
    "  return items.map((item) => ({ ...item, total: item.price * item.quantity }));",
];
const YAML: &[&str] = &[
    "      - name: cache dependencies",
    "        uses: actions/cache@v4",
    "          key: ${{ runner.os }}-cargo-${{ hashFiles('**/Cargo.lock') }}",
    "    password: ${DB_PASSWORD}",
];

/// Lines that do hit, assembled at run time so no literal token lives in the source.
fn hits() -> Vec<String> {
    vec![
        format!(
            "GITHUB = \"gh{}_{}\"",
            "p", "BenchFixtureBody5Kq8Zt2Lw9Xv4Rp7QmNb"
        ),
        "DROP TABLE legacy_orders;".to_string(),
        "@pytest.mark.skip(reason=\"flaky\")".to_string(),
        "DATABASE_URL = \"postgres://app:Zr7q-Lp2x-Vw9m@db.internal:5432/app\"".to_string(),
        "client_secret = \"q8ZtR2mLw9XvB4nKp7Hs\"".to_string(),
    ]
}

/// The change, its added lines, and their size in bytes (newlines included).
fn synthetic_change() -> (Change, Vec<FileAdditions>, usize) {
    let languages: [(&str, &[&str]); 4] = [
        ("rs", RUST),
        ("py", PYTHON),
        ("ts", TYPESCRIPT),
        ("yml", YAML),
    ];
    let hits = hits();
    let mut bytes = 0;
    let mut files = Vec::new();
    let mut paths = Vec::new();
    let mut n = 0usize;
    while bytes < TARGET_BYTES {
        let (ext, lines) = languages[n % languages.len()];
        let path = format!("src/module{:04}/file{n:05}.{ext}", n / 50);
        let mut added = Vec::with_capacity(LINES_PER_FILE);
        for i in 0..LINES_PER_FILE {
            let global = n * LINES_PER_FILE + i;
            let text = if global % 5_000 == 4_999 {
                hits[(global / 5_000) % hits.len()].clone()
            } else {
                lines[(i * 7 + n) % lines.len()].to_string()
            };
            bytes += text.len() + 1;
            added.push(AddedLine {
                number: u32::try_from(i + 1).unwrap_or(u32::MAX),
                text,
            });
        }
        paths.push(path.clone());
        files.push(FileAdditions {
            path,
            binary: false,
            lines: added,
        });
        n += 1;
    }
    let entries: Vec<(Status, Option<&str>, Option<&str>)> = paths
        .iter()
        .map(|p| (Status::Added, None, Some(p.as_str())))
        .collect();
    let change = detached_change(&entries);
    (change, files, bytes)
}

fn bench_scan(c: &mut Criterion) {
    let policy = match Policy::parse(DEFAULT_POLICY, "built-in", PolicySource::DefaultNoBase) {
        Ok(policy) => CompiledPolicy::new(policy),
        Err(e) => panic!("default policy: {e}"),
    };
    let (change, additions, bytes) = synthetic_change();
    let mut group = c.benchmark_group("risk");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(bytes as u64));
    let name = format!(
        "scan {} MiB of added lines in {} files",
        bytes >> 20,
        additions.len()
    );
    group.bench_function(name, |b| {
        b.iter(|| {
            let findings = scan(&RiskInput {
                change: &change,
                additions: &additions,
                acceptance: &[],
                compiled: &policy,
                hooks_path: None,
            });
            black_box(findings.len())
        })
    });

    // One 4.6 MB line of 160,000 secret assignments: linear, not quadratic, in its length.
    let long = "a_token=\"Zq8LmR2vXw9KpT4nB7\";".repeat(160_000);
    let long_bytes = long.len();
    let long_file = vec![FileAdditions {
        path: "app/blob.py".to_string(),
        binary: false,
        lines: vec![AddedLine {
            number: 1,
            text: long,
        }],
    }];
    let long_change = detached_change(&[(Status::Added, None, Some("app/blob.py"))]);
    group.throughput(Throughput::Bytes(long_bytes as u64));
    group.bench_function("scan one 4.6 MB line of secret assignments", |b| {
        b.iter(|| {
            let findings = scan(&RiskInput {
                change: &long_change,
                additions: &long_file,
                acceptance: &[],
                compiled: &policy,
                hooks_path: None,
            });
            black_box(findings.len())
        })
    });

    // 64 KiB of test-runner output with a token in it, as an acceptance run keeps.
    let mut output = String::new();
    let mut n = 0;
    while output.len() < 64 * 1024 {
        output.push_str(&format!(
            "test auth::tests::token_refresh_{n} ... ok\nrunning 12 tests in src/password/reset_{n}.rs\n"
        ));
        n += 1;
        if n % 500 == 0 {
            output.push_str(&format!("{}\n", hits()[0]));
        }
    }
    group.throughput(Throughput::Bytes(output.len() as u64));
    group.bench_function("redact 64 KiB of test output", |b| {
        b.iter(|| black_box(redact_secrets(&policy, black_box(&output)).len()))
    });
    group.finish();

    let mut compile = c.benchmark_group("risk-policy");
    compile.bench_function("compile default policy", |b| {
        b.iter(|| {
            Policy::parse(
                black_box(DEFAULT_POLICY),
                "built-in",
                PolicySource::DefaultNoBase,
            )
            .is_ok_and(|policy| CompiledPolicy::new(policy).matcher().is_ok())
        })
    });
    compile.finish();
}

criterion_group!(benches, bench_scan);
criterion_main!(benches);
