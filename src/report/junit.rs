//! `--format junit`: JUnit XML for CI test reporters. One `<testsuite>` per judged commit and
//! one `<testcase>` per check (scope, risk, each acceptance command, evidence, approval,
//! metadata). A check fails when a finding of its kind blocks; warnings and approved findings
//! go to the test case's `<system-out>`. A human commit is one skipped test case.
//!
//! Text from the change is escaped by the XML writer; characters XML 1.0 cannot carry at all
//! (most C0 controls, U+FFFE, U+FFFF) are shown escaped, as in the terminal.

use super::{full_commit, printable, short_commit};
use crate::acceptance::{AcceptanceRun, Phase, RunStatus};
use crate::engine::CommitReport;
use crate::finding::{Finding, Kind};
use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;
use std::io;

/// Output lines of a failed command kept in its failure text.
const TAIL_LINES: usize = 40;

enum CaseResult {
    Passed,
    Failed {
        message: String,
        kind: String,
        text: String,
    },
    Skipped(String),
}

struct Case {
    name: String,
    time_ms: u64,
    outcome: CaseResult,
    /// Lines for `<system-out>`: warnings and approved findings.
    out: Vec<String>,
}

struct Suite {
    name: String,
    /// The short commit, the class name of every case.
    short: String,
    properties: Vec<(&'static str, String)>,
    cases: Vec<Case>,
}

impl Suite {
    fn count(&self, pick: impl Fn(&CaseResult) -> bool) -> usize {
        self.cases.iter().filter(|c| pick(&c.outcome)).count()
    }

    fn time_ms(&self) -> u64 {
        self.cases.iter().map(|c| c.time_ms).sum()
    }
}

fn failed(outcome: &CaseResult) -> bool {
    matches!(outcome, CaseResult::Failed { .. })
}

fn skipped(outcome: &CaseResult) -> bool {
    matches!(outcome, CaseResult::Skipped(_))
}

pub(crate) fn render(reports: &[CommitReport]) -> Result<String, super::RenderError> {
    let suites: Vec<Suite> = reports.iter().map(suite).collect();
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_document(&mut writer, &suites).map_err(|e| super::RenderError::Xml(e.to_string()))?;
    let mut text = String::from_utf8(writer.into_inner())
        .map_err(|e| super::RenderError::Xml(e.to_string()))?;
    text.push('\n');
    Ok(text)
}

fn write_document(writer: &mut Writer<Vec<u8>>, suites: &[Suite]) -> io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| s.count(failed)).sum();
    let skips: usize = suites.iter().map(|s| s.count(skipped)).sum();
    let time: u64 = suites.iter().map(Suite::time_ms).sum();
    writer
        .create_element("testsuites")
        .with_attribute(("name", "agentguard verify"))
        .with_attribute(("tests", tests.to_string().as_str()))
        .with_attribute(("failures", failures.to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", skips.to_string().as_str()))
        .with_attribute(("time", seconds(time).as_str()))
        .write_inner_content(|w| {
            for suite in suites {
                write_suite(w, suite)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_suite(writer: &mut Writer<Vec<u8>>, suite: &Suite) -> io::Result<()> {
    writer
        .create_element("testsuite")
        .with_attribute(("name", attr(&suite.name).as_str()))
        .with_attribute(("tests", suite.cases.len().to_string().as_str()))
        .with_attribute(("failures", suite.count(failed).to_string().as_str()))
        .with_attribute(("errors", "0"))
        .with_attribute(("skipped", suite.count(skipped).to_string().as_str()))
        .with_attribute(("time", seconds(suite.time_ms()).as_str()))
        .write_inner_content(|w| {
            w.create_element("properties").write_inner_content(|w| {
                for (name, value) in &suite.properties {
                    w.create_element("property")
                        .with_attribute(("name", *name))
                        .with_attribute(("value", attr(value).as_str()))
                        .write_empty()?;
                }
                Ok(())
            })?;
            for case in &suite.cases {
                write_case(w, &suite.short, case)?;
            }
            Ok(())
        })?;
    Ok(())
}

fn write_case(writer: &mut Writer<Vec<u8>>, short: &str, case: &Case) -> io::Result<()> {
    let element = writer
        .create_element("testcase")
        .with_attribute(("name", attr(&case.name).as_str()))
        .with_attribute(("classname", attr(&format!("agentguard.{short}")).as_str()))
        .with_attribute(("time", seconds(case.time_ms).as_str()));
    if matches!(case.outcome, CaseResult::Passed) && case.out.is_empty() {
        element.write_empty()?;
        return Ok(());
    }
    element.write_inner_content(|w| {
        match &case.outcome {
            CaseResult::Passed => {}
            CaseResult::Failed {
                message,
                kind,
                text: body,
            } => {
                w.create_element("failure")
                    .with_attribute(("message", attr(message).as_str()))
                    .with_attribute(("type", attr(kind).as_str()))
                    .write_text_content(BytesText::new(&text(body)))?;
            }
            CaseResult::Skipped(message) => {
                w.create_element("skipped")
                    .with_attribute(("message", attr(message).as_str()))
                    .write_empty()?;
            }
        }
        if !case.out.is_empty() {
            w.create_element("system-out")
                .write_text_content(BytesText::new(&text(&case.out.join("\n"))))?;
        }
        Ok(())
    })?;
    Ok(())
}

fn suite(report: &CommitReport) -> Suite {
    let short = short_commit(report);
    let mut properties = vec![
        ("commit", full_commit(report)),
        ("tree", report.tree.to_string()),
    ];
    if !report.agent {
        let risk: Vec<&Finding> = report.findings.iter().collect();
        let case = if report.credentials_checked && !risk.is_empty() {
            check_case(report, "credentials", &risk)
        } else {
            Case {
                name: "agent checks".to_string(),
                time_ms: 0,
                outcome: CaseResult::Skipped(super::human_state(report).to_string()),
                out: Vec::new(),
            }
        };
        return Suite {
            name: format!("{short} (human commit)"),
            short,
            properties,
            cases: vec![case],
        };
    }
    let task = report.task.id.as_deref().unwrap_or("(no task)");
    properties.push(("task", task.to_string()));
    if let Some(name) = &report.task.agent_name {
        properties.push(("agent", name.clone()));
    }
    if let Some(fingerprint) = &report.fingerprint {
        properties.push(("fingerprint", fingerprint.clone()));
    }
    properties.push(("policy", report.policy_source.clone()));
    properties.push(("verdict", report.verdict().to_string()));

    let of_kind = |kind: Kind| -> Vec<&Finding> {
        report.findings.iter().filter(|f| f.kind == kind).collect()
    };
    let mut cases = vec![
        check_case(report, Kind::Scope.as_str(), &of_kind(Kind::Scope)),
        check_case(report, Kind::Risk.as_str(), &of_kind(Kind::Risk)),
    ];
    cases.extend(acceptance_cases(
        report,
        &report.acceptance,
        &of_kind(Kind::Acceptance),
    ));
    for kind in [Kind::Evidence, Kind::Approval, Kind::Metadata] {
        cases.push(check_case(report, kind.as_str(), &of_kind(kind)));
    }
    cases.extend(path_taken_case(report));
    Suite {
        name: format!("{short} {task}"),
        short,
        properties,
        cases,
    }
}

/// The attempts before the commit, the agent's session and the way back, told in the
/// `<system-out>` of a case of their own: they inform the reviewer and never fail a check
/// (the findings they raise are in the evidence case).
fn path_taken_case(report: &CommitReport) -> Option<Case> {
    use super::path_taken as story;
    let path = &report.path_taken;
    let mut out = Vec::new();
    if let Some(attempts) = &path.attempts {
        out.push(story::attempts_headline(attempts));
        out.extend(
            attempts
                .entries
                .iter()
                .map(|a| format!("  {}", story::attempt_line(a))),
        );
    }
    if let Some(session) = &path.session {
        out.push(story::session_headline(session));
        out.extend(
            session
                .commands
                .iter()
                .filter(|c| story::command_passed(c) == Some(false))
                .map(|c| format!("  failed: {}", story::command_line(c))),
        );
    }
    if let Some(rollback) = &path.rollback {
        let commit = report.commit.map(|c| c.to_string());
        out.push(story::rollback_headline(rollback, commit.as_deref()));
        out.extend(
            rollback
                .migrations
                .iter()
                .map(|m| format!("  {}", story::migration_line(m))),
        );
    }
    if out.is_empty() {
        return None;
    }
    Some(Case {
        name: "path taken".to_string(),
        time_ms: 0,
        outcome: CaseResult::Passed,
        out,
    })
}

/// One check: fails when one of its findings blocks.
fn check_case(report: &CommitReport, name: &str, findings: &[&Finding]) -> Case {
    Case {
        name: name.to_string(),
        time_ms: 0,
        outcome: case_result(report, findings, None),
        out: findings
            .iter()
            .filter(|f| !f.blocks())
            .map(|f| describe(report, f))
            .collect(),
    }
}

/// One case per acceptance run, carrying the acceptance findings that name its command; the
/// findings that name no run (network isolation, for one) get a case of their own.
fn acceptance_cases(
    report: &CommitReport,
    runs: &[AcceptanceRun],
    findings: &[&Finding],
) -> Vec<Case> {
    let names_run =
        |f: &Finding, run: &AcceptanceRun| f.message.contains(&format!("`{}`", run.command));
    let mut cases: Vec<Case> = runs
        .iter()
        .map(|run| {
            let own: Vec<&Finding> = findings
                .iter()
                .copied()
                .filter(|f| names_run(f, run))
                .collect();
            let label = match run.phase {
                Phase::Setup => "setup",
                Phase::Acceptance => "acceptance",
            };
            let outcome = match case_result(report, &own, Some(run)) {
                CaseResult::Passed if run.status == RunStatus::Skipped => {
                    CaseResult::Skipped(run.reason.clone().unwrap_or_default())
                }
                CaseResult::Passed if !run.passed() => CaseResult::Failed {
                    message: format!("`{}` {}", run.command, run.outcome()),
                    kind: "agentguard/acceptance/command-failed".to_string(),
                    text: tail(run),
                },
                other => other,
            };
            Case {
                name: format!("{label}: {}", run.command),
                time_ms: run.duration_ms,
                outcome,
                out: own
                    .iter()
                    .filter(|f| !f.blocks())
                    .map(|f| describe(report, f))
                    .collect(),
            }
        })
        .collect();
    let unmatched: Vec<&Finding> = findings
        .iter()
        .copied()
        .filter(|f| !runs.iter().any(|run| names_run(f, run)))
        .collect();
    if runs.is_empty() && unmatched.is_empty() {
        let why = if report.vouched {
            "not run again: its evidence note vouches for it ([verify] run = \"tip\")"
        } else {
            "no acceptance command ran"
        };
        cases.push(Case {
            name: "acceptance".to_string(),
            time_ms: 0,
            outcome: CaseResult::Skipped(why.to_string()),
            out: Vec::new(),
        });
    } else if !unmatched.is_empty() {
        cases.push(check_case(report, "acceptance", &unmatched));
    }
    cases
}

fn case_result(
    report: &CommitReport,
    findings: &[&Finding],
    run: Option<&AcceptanceRun>,
) -> CaseResult {
    let blocking: Vec<&&Finding> = findings.iter().filter(|f| f.blocks()).collect();
    let Some(first) = blocking.first() else {
        return CaseResult::Passed;
    };
    let mut message = super::message(report, first)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    if blocking.len() > 1 {
        message.push_str(&format!(" (and {} more)", blocking.len() - 1));
    }
    let mut text: Vec<String> = blocking.iter().map(|f| describe(report, f)).collect();
    if let Some(run) = run {
        text.push(tail(run));
    }
    CaseResult::Failed {
        message,
        kind: format!("agentguard/{}/{}", first.kind, first.category),
        text: text.join("\n"),
    }
}

fn describe(report: &CommitReport, finding: &Finding) -> String {
    let state = super::state(finding);
    let location = match (&finding.path, finding.line) {
        (Some(path), Some(line)) if line > 0 => format!("{path}:{line}: "),
        (Some(path), _) => format!("{path}: "),
        (None, _) => String::new(),
    };
    let rule = if finding.rule.is_empty() {
        String::new()
    } else {
        format!(" (rule: {})", finding.rule)
    };
    format!(
        "{state} [{}/{}] {location}{}{rule}",
        finding.kind,
        finding.category,
        super::message(report, finding)
    )
}

fn tail(run: &AcceptanceRun) -> String {
    let lines: Vec<&str> = run.output_tail.lines().collect();
    let start = lines.len().saturating_sub(TAIL_LINES);
    let mut text = format!(
        "`{}` {} after {} s (network {}, worktree {}); output, last {} of {} lines, {} bytes in all:",
        run.command,
        run.outcome(),
        seconds(run.duration_ms),
        run.network,
        run.worktree,
        lines.len() - start,
        lines.len(),
        run.output_bytes
    );
    for line in &lines[start..] {
        text.push('\n');
        text.push_str(line);
    }
    text
}

/// Seconds with millisecond precision, as JUnit's `time` attribute expects.
fn seconds(ms: u64) -> String {
    format!("{}.{:03}", ms / 1000, ms % 1000)
}

/// Text content: everything XML 1.0 can carry stays (the writer escapes markup); control and
/// invisible formatting characters are shown escaped.
fn text(value: &str) -> String {
    printable(value)
        .chars()
        .map(|c| match c {
            '\u{fffe}' | '\u{ffff}' => c.escape_unicode().to_string(),
            _ => c.to_string(),
        })
        .collect()
}

/// Attribute values: as [`text`], on one line (parsers fold line breaks in attributes).
fn attr(value: &str) -> String {
    text(value).replace(['\n', '\t'], " ")
}

#[cfg(test)]
mod tests {
    use super::render;
    use crate::report::test_support::{self, HOSTILE, HOSTILE_PATH};
    use quick_xml::escape::resolve_predefined_entity;
    use quick_xml::events::{BytesStart, Event};
    use quick_xml::Reader;
    use std::collections::BTreeMap;

    type Element = (String, BTreeMap<String, String>, String);

    fn element(e: &BytesStart<'_>) -> Element {
        let name = String::from_utf8(e.name().as_ref().to_vec()).unwrap();
        let attrs = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                (
                    String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                    a.unescape_value().unwrap().into_owned(),
                )
            })
            .collect();
        (name, attrs, String::new())
    }

    /// Parses the document; returns every element with its attributes and the decoded text
    /// directly inside it, in document order.
    fn parse(xml: &str) -> Vec<Element> {
        let mut reader = Reader::from_str(xml);
        let mut elements: Vec<Element> = Vec::new();
        let mut open: Vec<usize> = Vec::new();
        loop {
            match reader.read_event().expect("well-formed XML") {
                Event::Start(e) => {
                    elements.push(element(&e));
                    open.push(elements.len() - 1);
                }
                Event::Empty(e) => elements.push(element(&e)),
                Event::End(_) => {
                    open.pop();
                }
                Event::Text(t) => {
                    if let Some(&i) = open.last() {
                        elements[i].2.push_str(&t.decode().unwrap());
                    }
                }
                Event::GeneralRef(r) => {
                    let resolved = match r.resolve_char_ref().unwrap() {
                        Some(c) => c.to_string(),
                        None => resolve_predefined_entity(&r.decode().unwrap())
                            .expect("only predefined entities")
                            .to_string(),
                    };
                    if let Some(&i) = open.last() {
                        elements[i].2.push_str(&resolved);
                    }
                }
                Event::CData(_) => panic!("no CDATA expected"),
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(open.is_empty(), "unclosed elements");
        elements
    }

    fn count(elements: &[Element], name: &str) -> usize {
        elements.iter().filter(|e| e.0 == name).count()
    }

    #[test]
    fn one_suite_per_commit_one_case_per_check() {
        let xml = render(&test_support::sample_reports()).unwrap();
        let elements = parse(&xml);
        assert_eq!(count(&elements, "testsuites"), 1);
        assert_eq!(count(&elements, "testsuite"), 4);
        // passing: scope, risk, 1 run, evidence, approval, metadata = 6
        // blocked: scope, risk, 2 runs, evidence, approval, metadata = 7
        // human: 1; hostile: scope, risk, 1 run, evidence, approval, metadata = 6
        assert_eq!(count(&elements, "testcase"), 20);
        // blocked: scope, risk, failed run; hostile: scope, failed run, evidence
        assert_eq!(count(&elements, "failure"), 6);
        assert_eq!(count(&elements, "skipped"), 1);
        let root = &elements[0].1;
        assert_eq!(root["tests"], "20");
        assert_eq!(root["failures"], "6");
        assert_eq!(root["skipped"], "1");
    }

    #[test]
    fn suites_name_commit_and_task_and_count_their_cases() {
        let elements = parse(&render(&test_support::sample_reports()).unwrap());
        let suites: Vec<_> = elements.iter().filter(|e| e.0 == "testsuite").collect();
        assert_eq!(suites[0].1["name"], "aaaaaaaaaa T-1");
        assert_eq!(suites[0].1["failures"], "0");
        assert_eq!(suites[1].1["name"], "bbbbbbbbbb T-2");
        assert_eq!(suites[1].1["tests"], "7");
        assert_eq!(suites[1].1["failures"], "3");
        assert_eq!(suites[1].1["time"], "81.750");
        assert_eq!(suites[2].1["name"], "cccccccccc (human commit)");
        assert_eq!(suites[2].1["skipped"], "1");
    }

    #[test]
    fn acceptance_cases_carry_time_failure_and_output() {
        let elements = parse(&render(&[test_support::blocked()]).unwrap());
        let cases: Vec<_> = elements.iter().filter(|e| e.0 == "testcase").collect();
        let names: Vec<&str> = cases.iter().map(|c| c.1["name"].as_str()).collect();
        assert_eq!(
            names,
            [
                "scope",
                "risk",
                "acceptance: cargo build",
                "acceptance: cargo test --all",
                "evidence",
                "approval",
                "metadata"
            ]
        );
        assert!(cases
            .iter()
            .all(|c| c.1["classname"] == "agentguard.bbbbbbbbbb"));
        assert_eq!(cases[2].1["time"], "20.500");
        assert_eq!(cases[3].1["time"], "61.250");
        let failures: Vec<_> = elements.iter().filter(|e| e.0 == "failure").collect();
        let run_failure = failures
            .iter()
            .find(|f| f.1["type"] == "agentguard/acceptance/command-failed")
            .unwrap();
        assert!(run_failure.1["message"].contains("exited with code 101"));
        assert!(run_failure.2.contains("assert_eq!(1, 2)"));
        assert!(run_failure.2.contains("after 61.250 s"));
        let risk = failures
            .iter()
            .find(|f| f.1["type"] == "agentguard/risk/credentials")
            .unwrap();
        assert!(risk.2.contains("src/config.rs:12"));
        assert!(risk.2.contains("awaiting approval [risk/auth]"));
        assert!(risk.1["message"].ends_with("(and 1 more)"));
        // The warning and the approved category are output, not failures.
        let out: Vec<_> = elements.iter().filter(|e| e.0 == "system-out").collect();
        assert_eq!(out.len(), 1);
        assert!(out[0]
            .2
            .contains("warning [risk/dependencies] Cargo.toml:20"));
        assert!(out[0].2.contains("approved [risk/migrations]"));
    }

    #[test]
    fn human_commit_is_one_skipped_case() {
        let elements = parse(&render(&[test_support::human()]).unwrap());
        assert_eq!(count(&elements, "testcase"), 1);
        assert_eq!(count(&elements, "skipped"), 1);
        assert_eq!(count(&elements, "failure"), 0);
    }

    #[test]
    fn passing_commit_has_no_failures() {
        let elements = parse(&render(&[test_support::passing()]).unwrap());
        assert_eq!(count(&elements, "failure"), 0);
        assert_eq!(elements[0].1["tests"], "6");
    }

    #[test]
    fn hostile_text_is_escaped_and_survives_a_round_trip() {
        let xml = render(&[test_support::hostile()]).unwrap();
        // Nothing XML 1.0 forbids, even as a character reference.
        for c in xml.chars() {
            assert!(
                matches!(c, '\t' | '\n' | '\r' | ' '..='\u{d7ff}' | '\u{e000}'..='\u{fffd}' | '\u{10000}'..),
                "forbidden character {:?} in output",
                c
            );
        }
        assert!(!xml.contains("&#0;") && !xml.contains("&#x0;"));
        assert!(!xml.contains("<script>"), "markup must be escaped: {xml}");
        let elements = parse(&xml);
        let suite = elements.iter().find(|e| e.0 == "testsuite").unwrap();
        assert!(suite.1["name"].contains("<script>alert(1)</script>"));
        assert!(suite.1["name"].contains("\\u{1b}[31m"));
        assert!(suite.1["name"].contains("\\u{fffe}"));
        let failure = elements
            .iter()
            .find(|e| e.0 == "failure" && e.1["type"] == "agentguard/scope/out-of-scope")
            .unwrap();
        assert!(failure
            .2
            .contains("]]> <script>alert(1)</script> | pipe\nnext line"));
        assert!(failure.2.contains(HOSTILE_PATH));
        assert!(failure.2.contains("\\u{0}\\u{7}\\u{b}"));
        let run = elements
            .iter()
            .find(|e| e.0 == "testcase" && e.1["name"].starts_with("acceptance: echo"))
            .unwrap();
        assert!(run.1["name"].contains("``` ````"));
        assert!(!HOSTILE.is_empty());
    }
}
