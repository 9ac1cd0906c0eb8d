//! The secret-detection corpus, scored end to end through the built binary.
//!
//! `fixtures/secrets/<class>.toml` holds groups of one-line cases: line templates, token
//! templates and file names. Every token is assembled here at run time from a fixed seed
//! (prefix, pseudo-random body, checksum), so nothing token-shaped is committed. All cases go
//! into one agent commit, one file each; `agentguard check --no-run --format json` judges it,
//! and a case counts as caught when a `credentials` finding names its file.
//!
//! `secrets_corpus_meets_its_floor` asserts today's scores as a floor (true cases caught) and
//! a ceiling (false cases flagged) per class, so a later change can only raise them.
//! `AGENTGUARD_CORPUS_REPORT=1 cargo test --test it secrets_corpus -- --nocapture` also
//! prints the table and every miss and false alarm.

use crate::support::{msg, TestRepo, TASK};
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

/// Per class: (true cases that must be caught, false cases that may be flagged), as
/// measured on the tree this corpus was added to. Raise the first and lower the second as
/// detection improves; never the other way.
const FLOOR: &[(&str, usize, usize)] = &[
    ("provider", 900, 0),
    ("assignment", 438, 0),
    ("command", 146, 0),
    ("structured", 104, 0),
    ("entropy", 124, 0),
    ("noise", 0, 0),
];

const CLASSES: &[&str] = &[
    "provider",
    "assignment",
    "command",
    "structured",
    "entropy",
    "noise",
];

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    group: Vec<Group>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Group {
    name: String,
    suite: String,
    expect: bool,
    files: Vec<String>,
    lines: Vec<String>,
    #[serde(default)]
    tokens: Vec<String>,
    /// Takes the `tokens` of an earlier group of the same file, by name.
    #[serde(default)]
    tokens_from: Option<String>,
}

/// One case: a line in a file of its own.
#[derive(Debug, Clone)]
pub(crate) struct Case {
    pub class: String,
    pub suite: String,
    pub group: String,
    pub expect: bool,
    pub path: String,
    pub line: String,
}

/// xorshift64*: deterministic, so the corpus is the same on every run and machine.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03 | 1)
    }

    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn seed_of(text: &str) -> u64 {
    // FNV-1a: a stable seed per case.
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

fn alphabet(kind: &str) -> Option<&'static str> {
    Some(match kind {
        "alnum" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
        "alpha" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
        "upper" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
        "lower" => "abcdefghijklmnopqrstuvwxyz",
        "digit" => "0123456789",
        "hex" => "0123456789abcdef",
        "HEX" => "0123456789ABCDEF",
        "b64" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/",
        "b64url" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_",
        "aws" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
        "lowerdigit" => "abcdefghijklmnopqrstuvwxyz0123456789",
        "upperdigit" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
        "azure" => "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_~.-",
        "bech32" => "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L",
        "symbol" => "!@#%^&*-_+=?",
        _ => return None,
    })
}

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn base62(mut value: u32) -> String {
    let mut out = vec![b'0'; 6];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(out).unwrap()
}

fn base64(data: &[u8], url: bool, pad: bool) -> String {
    let table: &[u8] = if url {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    } else {
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    };
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(table[((n >> (18 - 6 * i)) & 63) as usize] as char);
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

/// Expands `%{…}` generators in a template:
/// `%{alnum:30}`, `%{hex:8-12}` (a class and a length or range), `%{crc}` (base62 CRC-32 of
/// the 30 characters before it, as GitHub and npm tokens end), `%{enc64:…}`, `%{enc64url:…}`,
/// `%{enc64pad:…}` (base64 of the expanded inside), `%{uuid}`, `%{pick:a|b}`, `%{pass:N}`
/// (a password of letters, digits and symbols), `%{jwt}`, `%{jwt_none}`, `%{T}` (the token).
fn expand(template: &str, rng: &mut Rng, token: &str) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(at) = rest.find("%{") {
        out.push_str(&rest[..at]);
        let inner_start = at + 2;
        let mut depth = 1;
        let mut end = None;
        let bytes = rest.as_bytes();
        let mut i = inner_start;
        while i < bytes.len() {
            if bytes[i] == b'%' && bytes.get(i + 1) == Some(&b'{') {
                depth += 1;
                i += 2;
                continue;
            }
            if bytes[i] == b'}' {
                depth -= 1;
                if depth == 0 {
                    end = Some(i);
                    break;
                }
            }
            i += 1;
        }
        let end = end.unwrap_or_else(|| panic!("unclosed generator in `{template}`"));
        let spec = &rest[inner_start..end];
        let generated = generate(spec, rng, token, &out);
        out.push_str(&generated);
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    out
}

fn generate(spec: &str, rng: &mut Rng, token: &str, before: &str) -> String {
    let (kind, arg) = spec.split_once(':').unwrap_or((spec, ""));
    match kind {
        "T" => token.to_string(),
        "crc" => {
            let random = &before.as_bytes()[before.len() - 30..];
            base62(crc32(random))
        }
        "enc64" => base64(expand(arg, rng, token).as_bytes(), false, false),
        "enc64pad" => base64(expand(arg, rng, token).as_bytes(), false, true),
        "enc64url" => base64(expand(arg, rng, token).as_bytes(), true, false),
        "uuid" => expand(
            "%{hex:8}-%{hex:4}-4%{hex:3}-a%{hex:3}-%{hex:12}",
            rng,
            token,
        ),
        "pick" => {
            let options: Vec<&str> = arg.split('|').collect();
            let choice = options[rng.below(options.len())];
            expand(choice, rng, token)
        }
        "pass" => {
            let n: usize = arg.parse().unwrap();
            let mut p = expand("%{upper:1}%{lower:3}%{digit:2}%{symbol:1}", rng, token);
            p.push_str(&expand(
                &format!("%{{alnum:{}}}", n.saturating_sub(7)),
                rng,
                token,
            ));
            p
        }
        "jwt" => {
            let payload = format!(
                "{{\"sub\":\"{}\",\"name\":\"{}\",\"iat\":{}}}",
                expand("%{digit:10}", rng, token),
                expand("%{lower:8}", rng, token),
                1_700_000_000 + rng.below(10_000_000)
            );
            let signature: Vec<u8> = (0..32).map(|_| rng.below(256) as u8).collect();
            format!(
                "{}.{}.{}",
                base64(br#"{"alg":"HS256","typ":"JWT"}"#, true, false),
                base64(payload.as_bytes(), true, false),
                base64(&signature, true, false)
            )
        }
        // A header written with CR/LF between its members: still base64 JSON.
        "jwt_crlf" => {
            let payload = format!(
                "{{\"sub\":\"{}\",\"iat\":{}}}",
                expand("%{digit:10}", rng, token),
                1_600_000_000 + rng.below(10_000_000)
            );
            format!(
                "{}.{}",
                base64(b"{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}", true, false),
                base64(payload.as_bytes(), true, false)
            )
        }
        // Signed, but shown without its signature.
        "jwt_nosig" => {
            let payload = format!(
                "{{\"sub\":\"{}\",\"name\":\"{}\"}}",
                expand("%{digit:10}", rng, token),
                expand("%{lower:6}", rng, token),
            );
            format!(
                "{}.{}",
                base64(br#"{"alg":"HS256","typ":"JWT"}"#, true, false),
                base64(payload.as_bytes(), true, false)
            )
        }
        // Not JWTs: the parts decoded already, parts that are not JSON, a header alone.
        "jwt_decoded" => format!(
            "{{\"alg\":\"HS256\",\"typ\":\"JWT\"}}.{{\"name\":\"{}\"}}.{}",
            expand("%{lower:6}", rng, token),
            expand("%{b64url:43}", rng, token)
        ),
        "jwt_notjson" => {
            let text = expand("not_valid_json_%{lower:8}", rng, token);
            let part = base64(text.as_bytes(), true, false);
            format!("{part}.{part}.{}", expand("%{b64url:43}", rng, token))
        }
        "jwt_header_only" => base64(br#"{"alg":"HS256","typ":"JWT"}"#, true, false),
        "jwt_none" => {
            let payload = format!(
                "{{\"sub\":\"{}\",\"role\":\"admin\",\"exp\":{}}}",
                expand("%{digit:8}", rng, token),
                1_800_000_000 + rng.below(10_000_000)
            );
            format!(
                "{}.{}.",
                base64(br#"{"alg":"none","typ":"JWT"}"#, true, false),
                base64(payload.as_bytes(), true, false)
            )
        }
        class => {
            let chars = alphabet(class).unwrap_or_else(|| panic!("unknown generator `{spec}`"));
            let (min, max) = match arg.split_once('-') {
                Some((a, b)) => (a.parse::<usize>().unwrap(), b.parse::<usize>().unwrap()),
                None => {
                    let n = arg
                        .parse::<usize>()
                        .unwrap_or_else(|_| panic!("bad length in `{spec}`"));
                    (n, n)
                }
            };
            let n = min + rng.below(max - min + 1);
            let bytes = chars.as_bytes();
            (0..n)
                .map(|_| bytes[rng.below(bytes.len())] as char)
                .collect()
        }
    }
}

/// Every case of every fixture file, in a stable order.
pub(crate) fn load() -> Vec<Case> {
    let dir = format!("{}/fixtures/secrets", env!("CARGO_MANIFEST_DIR"));
    let mut cases = Vec::new();
    for class in CLASSES {
        let path = format!("{dir}/{class}.toml");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let fixture: Fixture = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let mut named: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for group in fixture.group {
            assert!(
                !group.files.is_empty() && !group.lines.is_empty(),
                "{}",
                group.name
            );
            let source = match &group.tokens_from {
                Some(from) => named
                    .get(from)
                    .unwrap_or_else(|| panic!("{}: no earlier group `{from}`", group.name))
                    .clone(),
                None => group.tokens.clone(),
            };
            named.insert(group.name.clone(), source.clone());
            let tokens: Vec<Option<&String>> = if source.is_empty() {
                vec![None]
            } else {
                source.iter().map(Some).collect()
            };
            let mut n = 0;
            for token in &tokens {
                for line in &group.lines {
                    let file = &group.files[n % group.files.len()];
                    let mut rng = Rng::new(seed_of(&format!("{class}\0{}\0{n}", group.name)));
                    let token = token.map_or(String::new(), |t| expand(t, &mut rng, ""));
                    let line = expand(line, &mut rng, &token);
                    assert!(!line.contains('\n'), "{}: one line per case", group.name);
                    cases.push(Case {
                        class: (*class).to_string(),
                        suite: group.suite.clone(),
                        group: group.name.clone(),
                        expect: group.expect,
                        path: file.clone(),
                        line,
                    });
                    n += 1;
                }
            }
        }
    }
    for (i, case) in cases.iter_mut().enumerate() {
        case.path = format!("cases/c{i:04}/{}", case.path);
    }
    cases
}

#[derive(Default, Clone, Copy)]
struct Score {
    caught: usize,
    missed: usize,
    flagged: usize,
    quiet: usize,
}

impl Score {
    fn add(&mut self, case: &Case, hit: bool) {
        match (case.expect, hit) {
            (true, true) => self.caught += 1,
            (true, false) => self.missed += 1,
            (false, true) => self.flagged += 1,
            (false, false) => self.quiet += 1,
        }
    }

    fn row(&self, name: &str) -> String {
        let pct = |a: usize, b: usize| {
            if b == 0 {
                "     -".to_string()
            } else {
                format!("{:5.1}%", 100.0 * a as f64 / b as f64)
            }
        };
        format!(
            "{name:<22} true {:>4}  caught {:>4}  recall {}   false {:>4}  flagged {:>4}  FP {}",
            self.caught + self.missed,
            self.caught,
            pct(self.caught, self.caught + self.missed),
            self.flagged + self.quiet,
            self.flagged,
            pct(self.flagged, self.flagged + self.quiet),
        )
    }
}

/// Commits every case as one agent commit and returns the files the binary flagged as
/// `credentials`.
fn judge(cases: &[Case]) -> BTreeSet<String> {
    let repo = TestRepo::with_initial_commit();
    for case in cases {
        repo.write(&case.path, &format!("{}\n", case.line));
    }
    repo.commit_all(&msg(&[TASK]));
    let output = repo
        .agentguard()
        .args(["check", "HEAD", "--no-run", "--format", "json"])
        .output()
        .expect("run agentguard");
    assert!(
        matches!(output.status.code(), Some(0 | 1)),
        "check could not judge the corpus: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON report");
    let mut flagged = BTreeSet::new();
    for commit in report["commits"].as_array().expect("commits") {
        for finding in commit["findings"].as_array().expect("findings") {
            if finding["kind"] == "risk" && finding["category"] == "credentials" {
                if let Some(path) = finding["path"].as_str() {
                    flagged.insert(path.to_string());
                }
            }
        }
    }
    flagged
}

fn table(cases: &[Case], flagged: &BTreeSet<String>) -> (BTreeMap<String, Score>, String) {
    let mut by_class: BTreeMap<String, Score> = BTreeMap::new();
    let mut by_suite: BTreeMap<String, Score> = BTreeMap::new();
    let mut total = Score::default();
    for case in cases {
        let hit = flagged.contains(&case.path);
        by_class
            .entry(case.class.clone())
            .or_default()
            .add(case, hit);
        by_suite
            .entry(case.suite.clone())
            .or_default()
            .add(case, hit);
        total.add(case, hit);
    }
    let mut out = String::from("secret corpus, by class:\n");
    for class in CLASSES {
        out.push_str(&format!(
            "  {}\n",
            by_class.get(*class).copied().unwrap_or_default().row(class)
        ));
    }
    out.push_str(&format!("  {}\nby suite:\n", total.row("overall")));
    for (suite, score) in &by_suite {
        out.push_str(&format!("  {}\n", score.row(suite)));
    }
    (by_class, out)
}

#[test]
fn secrets_corpus_meets_its_floor() {
    let cases = load();
    let flagged = judge(&cases);
    let (by_class, report) = table(&cases, &flagged);
    if std::env::var_os("AGENTGUARD_CORPUS_REPORT").is_some() {
        println!("{report}");
        for case in &cases {
            let hit = flagged.contains(&case.path);
            if case.expect != hit {
                let what = if case.expect { "MISSED" } else { "FALSE+" };
                println!(
                    "{what} {:<10} {:<34} {}: {}",
                    case.class, case.group, case.path, case.line
                );
            }
        }
    }
    let mut failures = Vec::new();
    for (class, floor, ceiling) in FLOOR {
        let score = by_class.get(*class).copied().unwrap_or_default();
        if score.caught < *floor {
            failures.push(format!(
                "{class}: {} true cases caught, floor {floor}",
                score.caught
            ));
        }
        if score.flagged > *ceiling {
            failures.push(format!(
                "{class}: {} false cases flagged, ceiling {ceiling}",
                score.flagged
            ));
        }
    }
    assert!(failures.is_empty(), "{}\n{report}", failures.join("\n"));
}

#[test]
fn corpus_is_large_and_deterministic() {
    let first = load();
    let second = load();
    assert_eq!(first.len(), second.len());
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(a.line, b.line);
        assert_eq!(a.path, b.path);
    }
    for class in CLASSES {
        let of = |expect: bool| {
            first
                .iter()
                .filter(|c| c.class == *class && c.expect == expect)
                .count()
        };
        if *class == "noise" {
            assert!(of(false) >= 200, "{class}: {} false cases", of(false));
        } else {
            assert!(of(true) >= 100, "{class}: {} true cases", of(true));
            assert!(of(false) >= 50, "{class}: {} false cases", of(false));
        }
    }
    let paths: BTreeSet<&str> = first.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths.len(), first.len(), "every case has its own file");
}

#[test]
fn generated_tokens_have_their_published_shapes() {
    let mut rng = Rng::new(7);
    let github = expand("ghp_%{alnum:30}%{crc}", &mut rng, "");
    assert_eq!(github.len(), 40);
    let random = &github[4..34];
    assert_eq!(&github[34..], base62(crc32(random.as_bytes())));
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
    assert_eq!(
        base64(b"BedrockAPIKey-", false, false),
        "QmVkcm9ja0FQSUtleS0"
    );
    assert_eq!(base64(b"ab", false, true), "YWI=");
    let uuid = expand("%{uuid}", &mut rng, "");
    assert_eq!(uuid.len(), 36);
    let jwt = expand("%{jwt}", &mut rng, "");
    assert!(
        jwt.starts_with("eyJ") && jwt.matches('.').count() == 2,
        "{jwt}"
    );
    let none = expand("%{jwt_none}", &mut rng, "");
    assert!(none.ends_with('.'), "{none}");
    assert_eq!(expand("a%{T}b", &mut rng, "X"), "aXb");
}
