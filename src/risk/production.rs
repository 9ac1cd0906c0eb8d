//! `production-config` by content: a manifest (YAML or JSON) that declares the production
//! namespace or environment is production configuration wherever it lives. The whole file
//! counts, before and after the change, not only the added lines: bumping an image tag in a
//! Deployment whose `namespace: production` was set long ago is still a production change,
//! and so is moving a manifest out of production.

use super::paths::{file_name, FileContext};
use super::{Collector, PRODUCTION_CONFIG};
use crate::diff::Change;
use git2::Oid;

/// Manifests larger than this are not read whole (`read` gives nothing for them): deployment
/// manifests are small, and a generated bundle is judged by its path.
pub(crate) const MAX_MANIFEST: usize = 1 << 20;

/// Keys whose value names the environment a manifest or service runs in.
const ENVIRONMENT_KEYS: [&str; 12] = [
    "namespace",
    "environment",
    "env",
    "stage",
    "app_env",
    "rails_env",
    "rack_env",
    "django_env",
    "deploy_env",
    "deployment_environment",
    "target_env",
    "aspnetcore_environment",
];

/// Whether the risk scan reads this file whole to find its environment.
pub(crate) fn is_manifest(path: &str) -> bool {
    let name = file_name(path).to_ascii_lowercase();
    let ctx = FileContext::of(path);
    !ctx.docs
        && !ctx.test
        && (name.ends_with(".yaml") || name.ends_with(".yml") || name.ends_with(".json"))
}

/// The first line (1-based) of `text` declaring a production namespace or environment, and
/// that line trimmed: `namespace: production`, `"environment": "prod"`, `- RAILS_ENV=production`,
/// or a Kubernetes `- name: APP_ENV` followed by `value: production`.
pub(crate) fn declared_production(text: &str) -> Option<(u32, String)> {
    let mut named_environment = false;
    for (index, line) in text.lines().enumerate() {
        let Some((key, value, is_name)) = key_value(line) else {
            named_environment = false;
            continue;
        };
        let key = key.to_ascii_lowercase();
        let declares =
            ENVIRONMENT_KEYS.contains(&key.as_str()) || (named_environment && key == "value");
        // `- name: APP_ENV` (a Kubernetes env list): the value comes on the next line.
        named_environment =
            is_name && ENVIRONMENT_KEYS.contains(&value.to_ascii_lowercase().as_str());
        if declares && !is_name && is_production(value) {
            let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
            return Some((number, line.trim().to_string()));
        }
    }
    None
}

/// `key: value`, `"key": "value",`, `- KEY=value` or `- name: VALUE` on one line, with an
/// optional comment; the flag says the line was `name: …`.
fn key_value(line: &str) -> Option<(&str, &str, bool)> {
    let word = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-');
    let quotes: &[char] = &['"', '\''];
    let mut rest = line.trim();
    if let Some(item) = rest.strip_prefix("- ") {
        rest = item.trim_start();
    }
    let is_name = rest.starts_with("name:");
    if is_name {
        let value = rest["name:".len()..].trim().trim_matches(quotes);
        return value.chars().all(word).then_some(("name", value, true));
    }
    let (key, value) = rest.split_once([':', '='])?;
    let key = key.trim().trim_matches(quotes);
    if key.is_empty() || !key.chars().all(word) {
        return None;
    }
    let value = value.split(" #").next().unwrap_or_default().trim();
    let value = value.trim_end_matches(',').trim().trim_matches(quotes);
    (!value.is_empty() && value.chars().all(word)).then_some((key, value, false))
}

/// `production`, `prod`, `prod-eu`, `api-production`; not `preprod`, `non-prod`, `product`.
fn is_production(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    let words: Vec<&str> = lower
        .split(['-', '_', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        matches!(*w, "prod" | "production") && !(i > 0 && matches!(words[i - 1], "non" | "pre"))
    })
}

/// A `production-config` finding for each manifest of the change that declares production,
/// on either side, unless a path rule already put it in the category. `read` returns a
/// blob's bytes, or none past `MAX_MANIFEST`.
pub(super) fn manifests<E>(
    out: &mut Collector<'_>,
    change: &Change,
    read: &mut dyn FnMut(Oid) -> Result<Vec<u8>, E>,
) -> Result<(), E> {
    let Some(index) = out.index(PRODUCTION_CONFIG) else {
        return Ok(());
    };
    for entry in &change.entries {
        let sides = [(&entry.new, "declares"), (&entry.old, "declared")];
        for (side, verb) in sides {
            let Some(side) = side else { continue };
            let path = side.display_path();
            if side.is_symlink() || side.is_submodule() || !is_manifest(&path) {
                continue;
            }
            let shown = entry
                .new
                .as_ref()
                .map_or(path.clone(), |new| new.display_path());
            let already = out.findings.iter().any(|f| {
                f.category == PRODUCTION_CONFIG && f.path.as_deref() == Some(shown.as_str())
            });
            if already {
                break;
            }
            let bytes = read(side.oid)?;
            let text = String::from_utf8_lossy(&bytes);
            let Some((line, declaration)) = declared_production(&text) else {
                continue;
            };
            let category = &out.categories[index];
            let message = format!(
                "{path} {verb} a production environment (`{declaration}`): covered by `{}` ({})",
                category.name, category.description
            );
            let rule =
                "manifest declares a production namespace or environment (built-in content rule)";
            // The line is the new file's; on the old side it would point into a file gone.
            let at = (verb == "declares").then_some(line);
            out.push(
                index,
                &shown,
                at,
                message,
                rule,
                &format!("manifest:{declaration}"),
            );
            break;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn production_declarations_are_found() {
        for text in [
            "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: production\n",
            "metadata:\n  namespace: \"prod\"\n",
            "{\n  \"environment\": \"production\",\n  \"replicas\": 3\n}\n",
            "services:\n  web:\n    environment:\n      - RAILS_ENV=production\n",
            "services:\n  web:\n    environment:\n      RACK_ENV: production\n",
            "env:\n  - name: APP_ENV\n    value: production\n",
            "metadata:\n  namespace: payments-prod # the live cluster\n",
            "stage: prod-eu\n",
        ] {
            assert!(declared_production(text).is_some(), "{text}");
        }
        let (line, shown) = declared_production("a: 1\nnamespace: production\n").unwrap();
        assert_eq!((line, shown.as_str()), (2, "namespace: production"));
    }

    #[test]
    fn other_environments_and_lookalikes_are_quiet() {
        for text in [
            "metadata:\n  namespace: staging\n",
            "services:\n  web:\n    environment:\n      - RAILS_ENV=development\n",
            "namespace: preprod\n",
            "environment: non-prod\n",
            "product: production\n",
            "env:\n  - name: NODE_ENV\n    value: production\n",
            "env:\n  - name: APP_ENV\n    value: staging\n  - name: MODE\n    value: production\n",
            "description: deploys to production on merge\n",
        ] {
            assert_eq!(declared_production(text), None, "{text}");
        }
    }

    #[test]
    fn manifests_are_yaml_and_json_outside_tests_and_docs() {
        assert!(is_manifest("k8s/api/deployment.yaml"));
        assert!(is_manifest("deploy/app.JSON"));
        assert!(!is_manifest("tests/fixtures/deployment.yaml"));
        assert!(!is_manifest("src/main.rs"));
    }
}
