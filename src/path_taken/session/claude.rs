//! Claude Code transcripts: one record per line, `type` `user` or `assistant` (and
//! `system`, `summary`, ... which carry no tool calls). An assistant message's `content`
//! holds `tool_use` items (`Bash` with `command` and `description`, the agent's stated
//! intent; `Edit`, `MultiEdit`, `Write`, `NotebookEdit` with the file; `WebFetch`,
//! `WebSearch`); the next user message answers each with a `tool_result` (`tool_use_id`,
//! `content`, `is_error`: a failed command's content starts `Exit code N`), and the line's
//! `toolUseResult` has the command's `stdout`, `stderr` and `interrupted`.

use super::{str_of, Call, CallKind, CallResult, Transcript};
use serde_json::Value;

pub(super) fn feed(transcript: &mut Transcript, line: &Value) {
    let time = str_of(line, "timestamp");
    transcript.seen(time);
    if transcript.id.is_none() {
        transcript.id = str_of(line, "sessionId").map(str::to_string);
    }
    if transcript.cwd.is_none() {
        transcript.cwd = str_of(line, "cwd").map(str::to_string);
    }
    let Some(content) = line
        .get("message")
        .and_then(|m| m.get("content"))
        .and_then(Value::as_array)
    else {
        return;
    };
    match str_of(line, "type") {
        Some("assistant") => {
            for item in content
                .iter()
                .filter(|i| str_of(i, "type") == Some("tool_use"))
            {
                let input = item.get("input").unwrap_or(&Value::Null);
                let kind = tool(str_of(item, "name").unwrap_or_default(), input);
                transcript.push(
                    str_of(item, "id"),
                    Call {
                        time: time.map(str::to_string),
                        kind,
                        result: None,
                    },
                );
            }
        }
        Some("user") => {
            let results: Vec<&Value> = content
                .iter()
                .filter(|i| str_of(i, "type") == Some("tool_result"))
                .collect();
            // `toolUseResult` belongs to the line, so to its result only when there is one.
            let extra = (results.len() == 1)
                .then(|| line.get("toolUseResult"))
                .flatten();
            for item in results {
                if let Some(id) = str_of(item, "tool_use_id") {
                    let mut result = result(item, extra);
                    result.time = time.map(str::to_string);
                    transcript.result(id, result);
                }
            }
        }
        _ => {}
    }
}

/// A tool call by the tool's name.
fn tool(name: &str, input: &Value) -> CallKind {
    match name {
        "Bash" => CallKind::Command {
            command: str_of(input, "command").unwrap_or_default().to_string(),
            intent: str_of(input, "description").map(str::to_string),
        },
        "Edit" | "MultiEdit" | "Write" | "NotebookEdit" => CallKind::Write {
            paths: str_of(input, "file_path")
                .or_else(|| str_of(input, "notebook_path"))
                .map(|p| vec![p.to_string()])
                .unwrap_or_default(),
        },
        "WebFetch" => CallKind::Fetch {
            tool: name.to_string(),
            target: str_of(input, "url").unwrap_or_default().to_string(),
        },
        "WebSearch" => CallKind::Fetch {
            tool: name.to_string(),
            target: str_of(input, "query").unwrap_or_default().to_string(),
        },
        _ => CallKind::Other,
    }
}

/// A `tool_result` and the line's `toolUseResult`.
fn result(item: &Value, extra: Option<&Value>) -> CallResult {
    let content = match item.get("content") {
        Some(Value::String(text)) => text.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| str_of(p, "text"))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let is_error = item.get("is_error").and_then(Value::as_bool) == Some(true);
    // A finished command's own output, when the line has it.
    let output = match extra {
        Some(extra @ Value::Object(_)) => {
            let stdout = str_of(extra, "stdout").unwrap_or_default();
            let stderr = str_of(extra, "stderr").unwrap_or_default();
            if stdout.is_empty() && stderr.is_empty() {
                content.clone()
            } else {
                format!("{stdout}\n{stderr}")
            }
        }
        _ => content.clone(),
    };
    let mut result = CallResult::of_output(&output);
    result.interrupted = extra
        .and_then(|e| e.get("interrupted"))
        .and_then(Value::as_bool)
        == Some(true);
    let exit_code = content
        .trim_start()
        .trim_start_matches("Error:")
        .trim_start()
        .strip_prefix("Exit code")
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|code| code.parse().ok());
    result.exit_code = match (is_error, exit_code) {
        (_, Some(code)) => Some(code),
        (false, None) => Some(0),
        (true, None) => None,
    };
    result.failed = is_error;
    result
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    fn assistant(id: &str, name: &str, input: Value) -> Value {
        json!({"type": "assistant", "sessionId": "s", "timestamp": "2026-01-01T00:00:00Z",
               "message": {"role": "assistant", "content": [
                   {"type": "text", "text": "doing it"},
                   {"type": "tool_use", "id": id, "name": name, "input": input}]}})
    }

    #[test]
    fn results_pair_with_their_calls_whatever_their_shape() {
        let mut t = Transcript::default();
        feed(
            &mut t,
            &assistant("a", "Bash", json!({"command": "npm test"})),
        );
        feed(
            &mut t,
            &json!({"type": "user", "timestamp": "2026-01-01T00:00:30Z",
            "toolUseResult": {"stdout": "", "stderr": "", "interrupted": true},
            "message": {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "a", "is_error": true,
                 "content": [{"type": "text", "text": "Interrupted by user"}]}]}}),
        );
        feed(
            &mut t,
            &assistant("b", "NotebookEdit", json!({"notebook_path": "/w/n.ipynb"})),
        );
        feed(
            &mut t,
            &assistant(
                "c",
                "MultiEdit",
                json!({"file_path": "/w/src/x.ts", "edits": []}),
            ),
        );
        feed(
            &mut t,
            &assistant("d", "Read", json!({"file_path": "/w/src/y.ts"})),
        );
        // A result without its call (a resumed session) is ignored.
        feed(
            &mut t,
            &json!({"type": "user", "message": {"content": [
            {"type": "tool_result", "tool_use_id": "zz", "content": "x"}]}}),
        );
        let first = t.calls[0].result.as_ref().unwrap();
        assert!(first.interrupted && first.failed);
        assert_eq!(first.exit_code, None);
        assert!(matches!(&t.calls[1].kind, CallKind::Write { paths } if paths == &["/w/n.ipynb"]));
        assert!(matches!(&t.calls[2].kind, CallKind::Write { paths } if paths == &["/w/src/x.ts"]));
        assert!(matches!(t.calls[3].kind, CallKind::Other));
        assert_eq!(t.calls.len(), 4);
        assert_eq!(t.id.as_deref(), Some("s"));
    }
}
