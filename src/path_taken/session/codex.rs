//! Codex CLI rollout files: one `{"timestamp", "type", "payload"}` record per line
//! (`session_meta`, `turn_context`, `response_item`, `event_msg`), or in older rollouts the
//! response items themselves. Shell commands are `function_call`s (`shell`, `container.exec`,
//! `shell_command`, `exec_command`) or `local_shell_call`s, answered by a
//! `function_call_output` with the same `call_id` whose output carries the exit code and wall
//! time; edits are `apply_patch` calls (a function, a custom tool, or a shell command).

use super::commands::{display, patch_paths};
use super::{str_of, Call, CallKind, CallResult, Transcript};
use serde_json::Value;

pub(super) fn feed(transcript: &mut Transcript, line: &Value) {
    let time = str_of(line, "timestamp");
    transcript.seen(time);
    match (str_of(line, "type"), line.get("payload")) {
        (Some("session_meta"), Some(meta)) => {
            let meta = meta.get("meta").unwrap_or(meta);
            if transcript.id.is_none() {
                transcript.id = str_of(meta, "id").map(str::to_string);
            }
            if transcript.cwd.is_none() {
                transcript.cwd = str_of(meta, "cwd").map(str::to_string);
            }
        }
        (Some("turn_context"), Some(context)) => {
            if transcript.cwd.is_none() {
                transcript.cwd = str_of(context, "cwd").map(str::to_string);
            }
        }
        (Some("response_item"), Some(item)) => item_of(transcript, item, time),
        (Some("event_msg"), Some(event)) => event_of(transcript, event),
        (Some(_), Some(_)) => {}
        // An older rollout: its first line is the session, the others are items.
        _ => {
            if line.get("type").is_none() {
                if transcript.id.is_none() {
                    transcript.id = str_of(line, "id").map(str::to_string);
                }
            } else {
                item_of(transcript, line, time);
            }
        }
    }
}

fn item_of(transcript: &mut Transcript, item: &Value, time: Option<&str>) {
    let call_id = str_of(item, "call_id").or_else(|| str_of(item, "id"));
    let call = |kind| Call {
        time: time.map(str::to_string),
        kind,
        result: None,
    };
    match str_of(item, "type").unwrap_or_default() {
        "function_call" => {
            let name = str_of(item, "name").unwrap_or_default();
            let arguments = str_of(item, "arguments")
                .and_then(|a| serde_json::from_str::<Value>(a).ok())
                .unwrap_or(Value::Null);
            transcript.push(call_id, call(function(name, &arguments)));
        }
        "local_shell_call" => {
            let exec = item.get("action").unwrap_or(&Value::Null);
            let kind = shell(exec.get("command").unwrap_or(&Value::Null), None);
            transcript.push(call_id, call(kind));
        }
        "custom_tool_call" => {
            let kind = match str_of(item, "name") {
                Some("apply_patch") => CallKind::Write {
                    paths: patch_paths(str_of(item, "input").unwrap_or_default()),
                },
                _ => CallKind::Other,
            };
            transcript.push(call_id, call(kind));
        }
        "web_search_call" => {
            let action = item.get("action").unwrap_or(&Value::Null);
            let target = str_of(action, "query")
                .or_else(|| str_of(action, "url"))
                .unwrap_or_default();
            transcript.push(
                None,
                call(CallKind::Fetch {
                    tool: "web_search".to_string(),
                    target: target.to_string(),
                }),
            );
        }
        "function_call_output" | "custom_tool_call_output" => {
            if let Some(id) = str_of(item, "call_id") {
                let mut result = output(item.get("output").unwrap_or(&Value::Null));
                result.time = time.map(str::to_string);
                transcript.result(id, result);
            }
        }
        _ => {}
    }
}

/// A function call by its tool name.
fn function(name: &str, arguments: &Value) -> CallKind {
    let justification = str_of(arguments, "justification");
    match name {
        "shell" | "container.exec" | "local_shell" | "shell_command" => shell(
            arguments.get("command").unwrap_or(&Value::Null),
            justification,
        ),
        "exec_command" => shell(arguments.get("cmd").unwrap_or(&Value::Null), justification),
        "apply_patch" => CallKind::Write {
            paths: patch_paths(
                str_of(arguments, "input")
                    .or_else(|| str_of(arguments, "patch"))
                    .unwrap_or_default(),
            ),
        },
        "web_search" | "web_fetch" => CallKind::Fetch {
            tool: name.to_string(),
            target: str_of(arguments, "query")
                .or_else(|| str_of(arguments, "url"))
                .unwrap_or_default()
                .to_string(),
        },
        _ => CallKind::Other,
    }
}

/// A shell command, given as an argument vector or a script; `apply_patch` run through the
/// shell is an edit.
fn shell(command: &Value, intent: Option<&str>) -> CallKind {
    let command = match command {
        Value::Array(items) => {
            let argv: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
            if let [first, patch] = argv.as_slice() {
                if matches!(*first, "apply_patch" | "applypatch") {
                    return CallKind::Write {
                        paths: patch_paths(patch),
                    };
                }
            }
            display(&argv)
        }
        Value::String(script) => script.clone(),
        _ => String::new(),
    };
    if let Some(patch) = command.strip_prefix("apply_patch") {
        if patch.contains("*** Begin Patch") {
            return CallKind::Write {
                paths: patch_paths(patch),
            };
        }
    }
    CallKind::Command {
        command,
        intent: intent.map(str::to_string),
    }
}

/// A tool's output: a JSON text `{"output", "metadata": {"exit_code", "duration_seconds"}}`,
/// or a text headed by `Exit code: N` / `Process exited with code N` and `Wall time: S
/// seconds`; older rollouts keep `{"content", "success"}`.
fn output(value: &Value) -> CallResult {
    match value {
        Value::String(text) => text_output(text),
        Value::Object(_) => {
            let content = str_of(value, "content").unwrap_or_default();
            let mut result = text_output(content);
            if value.get("success").and_then(Value::as_bool) == Some(false)
                && result.exit_code.is_none()
            {
                result.failed = true;
            }
            result
        }
        Value::Array(items) => {
            let text: Vec<&str> = items.iter().filter_map(|i| str_of(i, "text")).collect();
            text_output(&text.join("\n"))
        }
        _ => CallResult::default(),
    }
}

fn text_output(text: &str) -> CallResult {
    if let Ok(json) = serde_json::from_str::<Value>(text) {
        if let Some(body) = str_of(&json, "output") {
            let mut result = CallResult::of_output(body);
            let metadata = json.get("metadata").unwrap_or(&Value::Null);
            result.exit_code = metadata
                .get("exit_code")
                .and_then(Value::as_i64)
                .and_then(|c| i32::try_from(c).ok());
            result.duration_ms = metadata
                .get("duration_seconds")
                .and_then(Value::as_f64)
                .map(seconds_to_ms);
            return result;
        }
    }
    let mut exit_code = None;
    let mut duration_ms = None;
    let mut body = text;
    for (i, line) in text.lines().enumerate().take(8) {
        let line = line.trim();
        if let Some(code) = line
            .strip_prefix("Exit code:")
            .or_else(|| line.strip_prefix("Process exited with code"))
        {
            exit_code = code.trim().parse().ok();
        } else if let Some(wall) = line.strip_prefix("Wall time:") {
            duration_ms = wall
                .trim()
                .trim_end_matches("seconds")
                .trim_end_matches('s')
                .trim()
                .parse::<f64>()
                .ok()
                .map(seconds_to_ms);
        } else if line == "Output:" {
            let offset: usize = text.lines().take(i + 1).map(|l| l.len() + 1).sum();
            body = text.get(offset..).unwrap_or_default();
            break;
        }
    }
    let mut result = CallResult::of_output(body);
    result.exit_code = exit_code;
    result.duration_ms = duration_ms;
    result
}

/// `exec_command_end` events carry the exit code where an output text did not.
fn event_of(transcript: &mut Transcript, event: &Value) {
    if str_of(event, "type") != Some("exec_command_end") {
        return;
    }
    let Some(id) = str_of(event, "call_id") else {
        return;
    };
    let exit_code = event
        .get("exit_code")
        .and_then(Value::as_i64)
        .and_then(|c| i32::try_from(c).ok());
    if let Some(call) = transcript.call_mut(id) {
        if let Some(result) = &mut call.result {
            if result.exit_code.is_none() {
                result.exit_code = exit_code;
            }
        } else {
            call.result = Some(CallResult {
                exit_code,
                ..CallResult::default()
            });
        }
    }
}

fn seconds_to_ms(seconds: f64) -> u64 {
    if seconds.is_finite() && seconds > 0.0 {
        (seconds * 1000.0).round() as u64
    } else {
        0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;
    use serde_json::json;

    #[test]
    fn outputs_in_each_shape_give_exit_code_and_time() {
        let structured = output(&json!(
            "{\"output\":\"ok\\n\",\"metadata\":{\"exit_code\":2,\"duration_seconds\":1.25}}"
        ));
        assert_eq!(
            (structured.exit_code, structured.duration_ms),
            (Some(2), Some(1250))
        );
        assert_eq!(structured.last_line, "ok");
        let freeform = output(&json!(
            "Exit code: 0\nWall time: 0.4 seconds\nTotal output lines: 2\nOutput:\na\nb\n"
        ));
        assert_eq!(
            (freeform.exit_code, freeform.duration_ms),
            (Some(0), Some(400))
        );
        assert_eq!(freeform.last_line, "b");
        let unified = output(&json!(
            "Chunk ID: 1f\nWall time: 2.0 seconds\nProcess exited with code 127\nOutput:\nnot found\n"
        ));
        assert_eq!(unified.exit_code, Some(127));
        // Older rollouts kept `{content, success}`.
        let old = output(&json!({"content": "boom", "success": false}));
        assert!(old.failed && old.exit_code.is_none());
    }

    #[test]
    fn rollouts_before_the_wrapper_are_read_too() {
        let mut transcript = Transcript::default();
        for line in [
            json!({"id": "s-1", "timestamp": "2025-05-01T10:00:00Z", "instructions": null}),
            json!({"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"bash\",\"-lc\",\"make test\"]}", "call_id": "c1"}),
            json!({"type": "function_call_output", "call_id": "c1", "output": {"content": "{\"output\":\"ok\",\"metadata\":{\"exit_code\":0,\"duration_seconds\":0.1}}", "success": true}}),
            json!({"type": "function_call", "name": "shell", "arguments": "{\"command\":[\"apply_patch\",\"*** Begin Patch\\n*** Add File: a.txt\\n+x\\n*** End Patch\"]}", "call_id": "c2"}),
        ] {
            feed(&mut transcript, &line);
        }
        assert_eq!(transcript.id.as_deref(), Some("s-1"));
        assert_eq!(transcript.calls.len(), 2);
        match &transcript.calls[0].kind {
            CallKind::Command { command, .. } => assert_eq!(command, "make test"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            transcript.calls[0].result.as_ref().unwrap().exit_code,
            Some(0)
        );
        match &transcript.calls[1].kind {
            CallKind::Write { paths } => assert_eq!(paths, &["a.txt"]),
            other => panic!("{other:?}"),
        }
    }
}
