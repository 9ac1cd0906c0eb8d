//! The test inventory: how many tests one acceptance run collected and ran, read from the
//! runner's own summary lines as the output streams by (every line, not only the kept head
//! and tail), or from a JUnit XML report the command wrote. A run whose output no parser
//! recognises has an unknown inventory.
//!
//! Recognised: libtest (`cargo test`: `test result:` lines, summed over every test binary and
//! doc-test run), cargo-nextest (`Summary … N tests run:`), pytest (the final `N passed, …
//! in 0.1s` line), unittest (`Ran N tests` and the `OK`/`FAILED (…)` line after it), go test
//! (`=== RUN` and `--- PASS/FAIL/SKIP` lines under `-v`, or the events of `-json`), jest
//! (`Tests: …, N total`), vitest (`Tests  … (N)`), mocha (`N passing`) and JUnit XML.
//! Several runners in one command (a Makefile running two) are summed.

use serde::{Deserialize, Serialize};
use std::path::Path;
use std::time::SystemTime;

/// Bytes of a line looked at: summary lines are short.
const LINE_MAX: usize = 4096;

/// What one run's tests did. Skipped tests were collected but not run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    pub passed: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl Counts {
    /// The tests that ran, passing or not.
    pub(crate) fn ran(&self) -> u64 {
        self.passed + self.failed
    }

    /// The tests the runner found and selected: those that ran and those it skipped.
    pub(crate) fn collected(&self) -> u64 {
        self.ran() + self.skipped
    }

    fn add(&mut self, other: Counts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

/// The inventory of one run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inventory {
    /// The runners whose counts were read, joined with `+` ("cargo", "pytest+unittest"); a
    /// runner recognised without a count (`go test` without `-v`) when none gave one;
    /// "unknown" when no runner was recognised.
    pub runner: String,
    /// `None`: unknown.
    pub counts: Option<Counts>,
}

impl Default for Inventory {
    fn default() -> Self {
        Self::unknown()
    }
}

impl Inventory {
    pub(crate) const UNKNOWN: &'static str = "unknown";

    pub(crate) fn unknown() -> Self {
        Self {
            runner: Self::UNKNOWN.to_string(),
            counts: None,
        }
    }

    /// With the counts of the JUnit XML reports the run wrote. A report repeats what the
    /// console said (`pytest --junitxml`): it counts only when the console gave no count.
    pub(crate) fn or_report(self, report: Option<Counts>) -> Self {
        match report {
            Some(counts) if self.counts.is_none() => Self {
                runner: Runner::Junit.name().to_string(),
                counts: Some(counts),
            },
            _ => self,
        }
    }
}

/// The runners, in the order their names are joined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Runner {
    Cargo,
    Nextest,
    Pytest,
    Unittest,
    Go,
    Jest,
    Vitest,
    Mocha,
    Junit,
}

impl Runner {
    const ALL: [Runner; 9] = [
        Runner::Cargo,
        Runner::Nextest,
        Runner::Pytest,
        Runner::Unittest,
        Runner::Go,
        Runner::Jest,
        Runner::Vitest,
        Runner::Mocha,
        Runner::Junit,
    ];

    fn name(self) -> &'static str {
        match self {
            Runner::Cargo => "cargo",
            Runner::Nextest => "nextest",
            Runner::Pytest => "pytest",
            Runner::Unittest => "unittest",
            Runner::Go => "go",
            Runner::Jest => "jest",
            Runner::Vitest => "vitest",
            Runner::Mocha => "mocha",
            Runner::Junit => "junit",
        }
    }
}

/// A unittest `Ran N tests` line waiting for the status line that says how many were skipped.
#[derive(Debug, Clone, Copy)]
struct PendingRan(u64);

/// Reads a run's output line by line; `finish` gives the inventory.
#[derive(Debug, Default)]
pub(crate) struct Parser {
    tallies: [Option<Counts>; Runner::ALL.len()],
    /// `go test` without `-v`: packages passed, no test count.
    go_packages: bool,
    unittest_ran: Option<PendingRan>,
    /// go `-v`: runs, and the outcomes of runs.
    go_runs: u64,
    go_failed: u64,
    go_skipped: u64,
    /// mocha prints passing, failing and pending on separate lines.
    mocha: Option<Counts>,
    /// Bytes of the line being read (chunks split lines anywhere).
    partial: Vec<u8>,
}

impl Parser {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// Feeds a chunk of output; lines may span chunks.
    pub(crate) fn push(&mut self, mut data: &[u8]) {
        while let Some(newline) = memchr::memchr(b'\n', data) {
            let line = &data[..newline];
            if self.partial.is_empty() {
                self.line_bytes(line);
            } else {
                let room = LINE_MAX.saturating_sub(self.partial.len());
                self.partial
                    .extend_from_slice(&line[..line.len().min(room)]);
                let whole = std::mem::take(&mut self.partial);
                self.line_bytes(&whole);
            }
            data = &data[newline + 1..];
        }
        let room = LINE_MAX.saturating_sub(self.partial.len());
        self.partial
            .extend_from_slice(&data[..data.len().min(room)]);
    }

    fn line_bytes(&mut self, line: &[u8]) {
        let line = &line[..line.len().min(LINE_MAX)];
        let text = String::from_utf8_lossy(line);
        self.line(&plain(&text));
    }

    /// Reads one line (without its newline, escape sequences already removed).
    fn line(&mut self, line: &str) {
        let line = line.trim_end();
        if let Some(PendingRan(ran)) = self.unittest_ran {
            if line.is_empty() {
                return;
            }
            self.unittest_ran = None;
            self.add(Runner::Unittest, unittest_status(ran, line));
        }
        if let Some(rest) = line.strip_prefix("test result: ") {
            if let Some(c) = libtest(rest) {
                self.add(Runner::Cargo, c);
            }
        } else if let Some(ran) = unittest_ran(line) {
            self.unittest_ran = Some(PendingRan(ran));
        } else if line.starts_with("=== RUN ") {
            self.go_runs += 1;
        } else if let Some(outcome) = line.trim_start().strip_prefix("--- ") {
            if outcome.starts_with("FAIL: ") {
                self.go_failed += 1;
            } else if outcome.starts_with("SKIP: ") {
                self.go_skipped += 1;
            }
        } else if line.starts_with('{') && line.contains("\"Action\"") {
            if let Some(c) = go_json(line) {
                self.add(Runner::Go, c);
            }
        } else if line.starts_with("ok  \t") || line.starts_with("FAIL\t") {
            self.go_packages = true;
        } else if let Some(rest) = line.strip_prefix("Tests:") {
            if let Some(c) = jest(rest.trim()) {
                self.add(Runner::Jest, c);
            }
        } else if let Some(c) = vitest(line) {
            self.add(Runner::Vitest, c);
        } else if let Some(c) = nextest(line) {
            self.add(Runner::Nextest, c);
        } else if let Some(c) = pytest(line) {
            self.add(Runner::Pytest, c);
        } else {
            self.mocha_line(line);
        }
    }

    fn add(&mut self, runner: Runner, counts: Counts) {
        self.tallies[runner as usize]
            .get_or_insert_with(Counts::default)
            .add(counts);
    }

    fn mocha_line(&mut self, line: &str) {
        let Some((n, word)) = line
            .trim_start()
            .split_once(' ')
            .and_then(|(n, rest)| Some((n.parse::<u64>().ok()?, rest)))
        else {
            return;
        };
        // Mocha indents its summary by two spaces.
        if !line.starts_with("  ") {
            return;
        }
        // `passing` comes first; `failing` and `pending` only after it.
        let first = word.starts_with("passing (");
        if !first && !((word == "failing" || word == "pending") && self.mocha.is_some()) {
            return;
        }
        let mocha = self.mocha.get_or_insert_with(Counts::default);
        match word {
            "failing" => mocha.failed += n,
            "pending" => mocha.skipped += n,
            _ => mocha.passed += n,
        }
    }

    pub(crate) fn finish(mut self) -> Inventory {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.line_bytes(&last);
        }
        if let Some(PendingRan(ran)) = self.unittest_ran.take() {
            self.add(Runner::Unittest, unittest_status(ran, ""));
        }
        if self.go_runs > 0 {
            let ran = self.go_runs.saturating_sub(self.go_skipped);
            self.add(
                Runner::Go,
                Counts {
                    passed: ran.saturating_sub(self.go_failed),
                    failed: self.go_failed.min(ran),
                    skipped: self.go_skipped.min(self.go_runs),
                },
            );
        }
        if let Some(mocha) = self.mocha.take() {
            self.add(Runner::Mocha, mocha);
        }
        let mut names = Vec::new();
        let mut total: Option<Counts> = None;
        for runner in Runner::ALL {
            if let Some(counts) = self.tallies[runner as usize] {
                names.push(runner.name());
                total.get_or_insert_with(Counts::default).add(counts);
            }
        }
        if names.is_empty() && self.go_packages {
            names.push(Runner::Go.name());
        }
        if names.is_empty() {
            return Inventory::unknown();
        }
        Inventory {
            runner: names.join("+"),
            counts: total,
        }
    }
}

/// The inventory of a whole output.
#[cfg(test)]
pub(crate) fn parse(output: &str) -> Inventory {
    let mut parser = Parser::new();
    parser.push(output.as_bytes());
    parser.finish()
}

/// `line` without terminal escape sequences, and only what follows the last carriage return
/// (a progress line redrawn in place).
fn plain(line: &str) -> std::borrow::Cow<'_, str> {
    let line = line.rsplit('\r').find(|s| !s.is_empty()).unwrap_or("");
    if !line.contains('\u{1b}') {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        // CSI: ESC [ parameters final-byte; other escapes are two characters.
        if chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if ('@'..='~').contains(&c) {
                    break;
                }
            }
        } else {
            chars.next();
        }
    }
    std::borrow::Cow::Owned(out)
}

/// `N word` items, as every summary line lists them.
fn items<'a>(text: &'a str, separator: &str) -> Option<Vec<(u64, &'a str)>> {
    text.split(separator)
        .map(|item| {
            let (n, word) = item.trim().split_once(' ')?;
            Some((n.parse().ok()?, word.trim()))
        })
        .collect()
}

/// `ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.00s`.
fn libtest(rest: &str) -> Option<Counts> {
    let (status, rest) = rest.split_once(". ")?;
    if status != "ok" && status != "FAILED" {
        return None;
    }
    let mut counts = Counts::default();
    let mut seen = false;
    for (n, word) in rest.split("; ").filter_map(|i| {
        let (n, word) = i.split_once(' ')?;
        Some((n.parse::<u64>().ok()?, word))
    }) {
        match word {
            "passed" => {
                counts.passed = n;
                seen = true;
            }
            "failed" => counts.failed = n,
            "ignored" => counts.skipped = n,
            _ => {}
        }
    }
    seen.then_some(counts)
}

/// unittest's `Ran 5 tests in 0.001s`.
fn unittest_ran(line: &str) -> Option<u64> {
    let rest = line.strip_prefix("Ran ")?;
    let (n, rest) = rest.split_once(' ')?;
    (rest.starts_with("test in ") || rest.starts_with("tests in "))
        .then(|| n.parse().ok())
        .flatten()
}

/// The line after `Ran N tests`: `OK`, `OK (skipped=1)`, `FAILED (failures=1, errors=2)`,
/// `NO TESTS RAN`; anything else leaves the N tests counted as passed.
fn unittest_status(ran: u64, line: &str) -> Counts {
    let details = line
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or("");
    let mut failed = 0;
    let mut skipped = 0;
    for item in details.split(", ") {
        let Some((key, n)) = item.split_once('=') else {
            continue;
        };
        let Ok(n) = n.trim().parse::<u64>() else {
            continue;
        };
        match key.trim() {
            "failures" | "errors" | "unexpected successes" => failed += n,
            "skipped" => skipped += n,
            _ => {}
        }
    }
    let skipped = skipped.min(ran);
    let failed = failed.min(ran - skipped);
    Counts {
        passed: ran - skipped - failed,
        failed,
        skipped,
    }
}

/// One event of `go test -json`: each test's start and end.
fn go_json(line: &str) -> Option<Counts> {
    #[derive(Deserialize)]
    struct Event {
        #[serde(rename = "Action")]
        action: String,
        #[serde(rename = "Test")]
        test: Option<String>,
    }
    let event: Event = serde_json::from_str(line).ok()?;
    event.test.as_ref()?;
    match event.action.as_str() {
        "pass" => Some(Counts {
            passed: 1,
            ..Counts::default()
        }),
        "fail" => Some(Counts {
            failed: 1,
            ..Counts::default()
        }),
        "skip" => Some(Counts {
            skipped: 1,
            ..Counts::default()
        }),
        _ => None,
    }
}

/// jest's `1 failed, 1 skipped, 1 todo, 3 passed, 6 total`.
fn jest(rest: &str) -> Option<Counts> {
    let items = items(rest, ", ")?;
    items.iter().find(|(_, w)| *w == "total")?;
    Some(tally(&items))
}

/// vitest's `Tests  1 failed | 3 passed | 1 skipped | 1 todo (6)`.
fn vitest(line: &str) -> Option<Counts> {
    let rest = line.trim_start().strip_prefix("Tests ")?;
    let (list, total) = rest.trim().rsplit_once(" (")?;
    total.strip_suffix(')')?.parse::<u64>().ok()?;
    Some(tally(&items(list, " | ")?))
}

/// nextest's `Summary [   0.024s] 6 tests run: 5 passed, 1 failed, 1 skipped`.
fn nextest(line: &str) -> Option<Counts> {
    let rest = line.trim_start().strip_prefix("Summary [")?;
    let (_, rest) = rest.split_once("] ")?;
    let (ran, rest) = rest.split_once(' ')?;
    let ran: u64 = ran.parse().ok()?;
    let list = rest
        .strip_prefix("tests run: ")
        .or_else(|| rest.strip_prefix("test run: "))?;
    let mut passed = 0;
    let mut skipped = 0;
    for item in list.split(", ") {
        let Some((n, word)) = item.trim().split_once(' ') else {
            continue;
        };
        let Ok(n) = n.parse::<u64>() else {
            continue;
        };
        if word.starts_with("passed") {
            passed = n;
        } else if word.starts_with("skipped") {
            skipped = n;
        }
    }
    let passed = passed.min(ran);
    Some(Counts {
        passed,
        failed: ran - passed,
        skipped,
    })
}

/// pytest's last line: `==== 1 failed, 4 passed, 1 skipped, 1 xfailed in 0.10s ====`, or
/// under `-q` the same without the rules; `no tests ran in 0.01s`.
fn pytest(line: &str) -> Option<Counts> {
    let line = line.trim_matches(|c| c == '=' || c == ' ');
    let (list, time) = line.rsplit_once(" in ")?;
    let seconds = time.split([' ', 's']).next()?;
    if !time.contains('s') || seconds.parse::<f64>().is_err() {
        return None;
    }
    if list == "no tests ran" {
        return Some(Counts::default());
    }
    let items = items(list, ", ")?;
    const WORDS: [&str; 11] = [
        "passed",
        "failed",
        "skipped",
        "xfailed",
        "xpassed",
        "error",
        "errors",
        "deselected",
        "warning",
        "warnings",
        "rerun",
    ];
    if items.iter().any(|(_, w)| !WORDS.contains(w)) {
        return None;
    }
    let mut counts = Counts::default();
    for (n, word) in items {
        match word {
            "passed" | "xfailed" | "xpassed" => counts.passed += n,
            "failed" | "error" | "errors" => counts.failed += n,
            "skipped" => counts.skipped += n,
            _ => {}
        }
    }
    Some(counts)
}

/// Counts from `N passed`, `N failed`, `N skipped`, `N todo` items.
fn tally(items: &[(u64, &str)]) -> Counts {
    let mut counts = Counts::default();
    for (n, word) in items {
        match *word {
            "passed" => counts.passed += n,
            "failed" => counts.failed += n,
            "skipped" | "todo" | "pending" => counts.skipped += n,
            _ => {}
        }
    }
    counts
}

/// The tests of one JUnit XML report: every `<testcase>`, skipped when it holds `<skipped>`,
/// failed when it holds `<failure>` or `<error>`. `None` when it is not a test report.
pub(crate) fn junit(xml: &[u8]) -> Option<Counts> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_reader(xml);
    let mut buf = Vec::new();
    let mut counts = Counts::default();
    let mut suite = false;
    // The outcome of the open <testcase>, if one is open.
    let mut case: Option<u8> = None;
    const PASSED: u8 = 0;
    const SKIPPED: u8 = 1;
    const FAILED: u8 = 2;
    let close = |outcome: u8, counts: &mut Counts| match outcome {
        SKIPPED => counts.skipped += 1,
        FAILED => counts.failed += 1,
        _ => counts.passed += 1,
    };
    loop {
        match reader.read_event_into(&mut buf).ok()? {
            Event::Start(e) => match e.local_name().as_ref() {
                b"testsuite" | b"testsuites" => suite = true,
                b"testcase" => case = Some(PASSED),
                b"skipped" => case = case.map(|o| o.max(SKIPPED)),
                b"failure" | b"error" => case = case.map(|_| FAILED),
                _ => {}
            },
            Event::Empty(e) => match e.local_name().as_ref() {
                b"testsuite" | b"testsuites" => suite = true,
                b"testcase" => close(PASSED, &mut counts),
                b"skipped" => case = case.map(|o| o.max(SKIPPED)),
                b"failure" | b"error" => case = case.map(|_| FAILED),
                _ => {}
            },
            Event::End(e) if e.local_name().as_ref() == b"testcase" => {
                if let Some(outcome) = case.take() {
                    close(outcome, &mut counts);
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    suite.then_some(counts)
}

/// Bounds on the search for reports, so a checkout with a huge tree stays cheap to search.
const JUNIT_MAX_ENTRIES: usize = 100_000;
const JUNIT_MAX_DEPTH: usize = 12;
const JUNIT_MAX_BYTES: u64 = 64 * 1024 * 1024;

/// The counts of the JUnit XML reports written under `dir` since `since` (by the run that
/// started then), summed; `None` when it wrote none. Directories of dependencies and git's
/// own are not searched.
pub(crate) fn junit_reports(dir: &Path, since: SystemTime) -> Option<Counts> {
    let mut total: Option<Counts> = None;
    let mut stack = vec![(dir.to_path_buf(), 0usize)];
    let mut visited = 0usize;
    while let Some((current, depth)) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&current) else {
            continue;
        };
        for entry in entries.flatten() {
            visited += 1;
            if visited > JUNIT_MAX_ENTRIES {
                return total;
            }
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            let name = entry.file_name();
            if kind.is_dir() {
                let skipped = [".git", "node_modules", ".venv", ".tox", "__pycache__"];
                if depth < JUNIT_MAX_DEPTH && !skipped.iter().any(|s| name == *s) {
                    stack.push((entry.path(), depth + 1));
                }
                continue;
            }
            // Symlinks are never followed: a link could point anywhere.
            if !kind.is_file() || !name.to_string_lossy().ends_with(".xml") {
                continue;
            }
            let Ok(meta) = entry.metadata() else {
                continue;
            };
            let fresh = meta.modified().is_ok_and(|m| m >= since);
            if !fresh || meta.len() > JUNIT_MAX_BYTES {
                continue;
            }
            if let Some(counts) = std::fs::read(entry.path()).ok().and_then(|x| junit(&x)) {
                total.get_or_insert_with(Counts::default).add(counts);
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str) -> String {
        let path = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/inventory")
            .join(name);
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn counts(passed: u64, failed: u64, skipped: u64) -> Option<Counts> {
        Some(Counts {
            passed,
            failed,
            skipped,
        })
    }

    fn check(name: &str, runner: &str, expected: Option<Counts>) {
        let inventory = parse(&sample(name));
        assert_eq!(inventory.runner, runner, "{name}");
        assert_eq!(inventory.counts, expected, "{name}");
    }

    #[test]
    fn cargo_test_sums_every_binary_and_the_doc_tests() {
        // a: 3 unit tests (1 ignored), 1 integration test, 1 doc test; b: 2 unit tests.
        check("cargo-pass.txt", "cargo", counts(6, 0, 1));
        check("cargo-quiet.txt", "cargo", counts(6, 0, 1));
        check("cargo-fail.txt", "cargo", counts(5, 1, 1));
        // Filtered-out tests were not collected.
        check("cargo-filtered.txt", "cargo", counts(1, 0, 0));
        let c = parse(&sample("cargo-pass.txt")).counts.unwrap();
        assert_eq!((c.ran(), c.collected()), (6, 7));
    }

    #[test]
    fn nextest_summary() {
        check("nextest-docs.txt", "nextest", counts(5, 1, 1));
        assert_eq!(
            nextest("     Summary [   0.024s] 19 tests run: 19 passed, 0 skipped"),
            counts(19, 0, 0)
        );
        assert_eq!(
            nextest("Summary [ 1.0s] 1 test run: 1 passed (1 slow), 2 skipped"),
            counts(1, 0, 2)
        );
    }

    #[test]
    fn pytest_summary_with_and_without_quiet() {
        // 7 collected: 4 passed (3 of them parametrised), 1 failed, 1 skipped, 1 xfailed.
        check("pytest-fail.txt", "pytest", counts(5, 1, 1));
        check("pytest-fail-q.txt", "pytest", counts(5, 1, 1));
        // Deselected tests were not collected for the run.
        check("pytest-pass-q.txt", "pytest", counts(5, 0, 1));
        check("pytest-pass-v.txt", "pytest", counts(5, 0, 1));
        check("pytest-none.txt", "pytest", counts(0, 0, 0));
        assert_eq!(pytest("no tests ran in 0.01s"), counts(0, 0, 0));
        assert_eq!(pytest("1 error in 0.20s"), counts(0, 1, 0));
        // Prose that merely ends in a time is not a summary.
        assert_eq!(pytest("compiled 3 files in 0.2s"), None);
        assert_eq!(pytest("Finished in 2s"), None);
    }

    #[test]
    fn unittest_ran_and_its_status_line() {
        check("unittest-fail.txt", "unittest", counts(2, 2, 1));
        check("unittest-pass.txt", "unittest", counts(4, 0, 1));
        check("unittest-pass-v.txt", "unittest", counts(4, 0, 1));
        check("unittest-none.txt", "unittest", counts(0, 0, 0));
        assert_eq!(
            parse("Ran 3 tests in 0.1s\n\nNO TESTS RAN\n").counts,
            counts(3, 0, 0)
        );
        // The status line may never come (the output ended): the tests still count.
        assert_eq!(parse("Ran 1 test in 0.0s").counts, counts(1, 0, 0));
    }

    #[test]
    fn go_test_verbose_and_json() {
        // TestAdds, TestFails, TestSkip, TestTable with two subtests, and sub's TestOne.
        check("go-fail-v.txt", "go", counts(5, 1, 1));
        check("go-pass-v.txt", "go", counts(6, 0, 1));
        check("go-pass-json.txt", "go", counts(6, 0, 1));
        // Without -v go prints packages only: recognised, but no count.
        let plain = parse(&sample("go-pass.txt"));
        assert_eq!((plain.runner.as_str(), plain.counts), ("go", None));
        assert_eq!(parse(&sample("go-fail.txt")).counts, None);
    }

    #[test]
    fn jest_and_vitest_summaries() {
        check("jest-fail.txt", "jest", counts(3, 1, 2));
        check("jest-pass.txt", "jest", counts(4, 0, 2));
        check("vitest-pass-nocolor.txt", "vitest", counts(4, 0, 2));
        // Colour codes, as vitest prints them even into a pipe.
        check("vitest-pass.txt", "vitest", counts(4, 0, 2));
        check("vitest-fail.txt", "vitest", counts(3, 1, 2));
    }

    #[test]
    fn mocha_summary() {
        let output = "\n  calc\n    ✔ adds\n\n  5 passing (10ms)\n  1 pending\n  2 failing\n";
        assert_eq!(parse(output).runner, "mocha");
        assert_eq!(parse(output).counts, counts(5, 2, 1));
        assert_eq!(parse("  3 failing\n").counts, None);
    }

    #[test]
    fn junit_counts_test_cases() {
        let xml = sample("pytest-junit.xml");
        assert_eq!(junit(xml.as_bytes()), counts(4, 0, 2));
        let nested = r#"<?xml version="1.0"?>
            <testsuites><testsuite name="a"><testsuite name="b">
            <testcase name="x"/><testcase name="y"><failure message="no"/></testcase>
            <testcase name="z"><error/><system-out>text</system-out></testcase>
            </testsuite></testsuite></testsuites>"#;
        assert_eq!(junit(nested.as_bytes()), counts(1, 2, 0));
        assert_eq!(junit(b"<project><testcase/></project>"), None);
        assert_eq!(junit(b"<testsuite><testcase"), None);
    }

    #[test]
    fn junit_reports_written_during_the_run_count() {
        let dir = tempfile::tempdir().unwrap();
        let before = SystemTime::now() - std::time::Duration::from_secs(5);
        std::fs::create_dir_all(dir.path().join("build/test-results")).unwrap();
        std::fs::write(
            dir.path().join("build/test-results/TEST-a.xml"),
            "<testsuite><testcase/><testcase/></testsuite>",
        )
        .unwrap();
        std::fs::write(dir.path().join("pom.xml"), "<project/>").unwrap();
        assert_eq!(junit_reports(dir.path(), before), counts(2, 0, 0));
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert_eq!(junit_reports(dir.path(), later), None);
        // The console wins when it gave a count: the report repeats it.
        let report = counts(4, 0, 0);
        assert_eq!(
            parse("4 passed in 0.1s\n").or_report(report).runner,
            "pytest"
        );
        let inventory = parse("BUILD SUCCESSFUL\n").or_report(report);
        assert_eq!(
            (inventory.runner.as_str(), inventory.counts),
            ("junit", report)
        );
        let inventory = parse(&sample("go-pass.txt")).or_report(report);
        assert_eq!(inventory.runner, "junit");
    }

    #[test]
    fn several_runners_are_summed_and_unknown_output_is_unknown() {
        let both = format!(
            "{}{}",
            sample("cargo-pass.txt"),
            sample("pytest-pass-q.txt")
        );
        check_text(&both, "cargo+pytest", counts(11, 0, 2));
        assert_eq!(parse("all good\nDone.\n"), Inventory::unknown());
        assert_eq!(parse(""), Inventory::unknown());
    }

    fn check_text(text: &str, runner: &str, expected: Option<Counts>) {
        let inventory = parse(text);
        assert_eq!(inventory.runner, runner);
        assert_eq!(inventory.counts, expected);
    }

    #[test]
    fn lines_split_across_chunks_and_huge_lines() {
        let text = sample("cargo-pass.txt");
        let mut parser = Parser::new();
        for chunk in text.as_bytes().chunks(7) {
            parser.push(chunk);
        }
        assert_eq!(parser.finish().counts, counts(6, 0, 1));
        let mut parser = Parser::new();
        parser.push(&vec![b'x'; 3 * LINE_MAX]);
        parser.push(b"\nRan 2 tests in 0.1s\nOK\n");
        assert_eq!(parser.finish().counts, counts(2, 0, 0));
    }
}
