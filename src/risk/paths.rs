//! Path knowledge: the built-in path globs of each category, and what kind of file a path is
//! (test, lock file, documentation), which decides which content rules are meaningful there.

/// Documentation about logins or billing is not login or billing code.
const PROSE: &[&str] = &[
    "*.md",
    "*.markdown",
    "*.rst",
    "*.adoc",
    "*.asciidoc",
    "*.txt",
    "*.org",
];

/// Words that put a path in `payments` wherever they stand as a whole word of a path
/// component (`stripe_webhook.py`, `CheckoutPage.tsx`), unlike `striped-table.css`.
const PAYMENT_WORDS: [&str; 5] = ["payment", "payments", "billing", "checkout", "stripe"];

/// With these, `checkout` is version control (`checkout-release.sh`, `git_checkout.py`).
const VCS_WORDS: [&str; 16] = [
    "git",
    "release",
    "releases",
    "branch",
    "branches",
    "repo",
    "repos",
    "tag",
    "tags",
    "submodule",
    "submodules",
    "worktree",
    "sparse",
    "clone",
    "source",
    "vcs",
];

/// Lower-case words of a path component, split at punctuation and camel-case humps.
fn words(component: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let mut prev_lower = false;
    for c in component.chars() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// The built-in word of `category` that a path component holds, for the categories that
/// match by word rather than by glob.
pub(crate) fn builtin_word(category: &str, path: &str) -> Option<&'static str> {
    match category {
        "payments" => payment_word(path),
        "production-config" => production_word(path),
        _ => None,
    }
}

/// Words that name the production environment in a path (`overlays/production/`,
/// `values-prod.yaml`, `ProdStack.json`); `preprod` and `non-prod` do not.
const PRODUCTION_WORDS: [&str; 2] = ["prod", "production"];

/// Extensions of configuration files: where a production word in the path means production
/// configuration. In code (`src/production_line.rs`) the word is about something else.
const CONFIG_EXTENSIONS: [&str; 22] = [
    "yaml",
    "yml",
    "json",
    "jsonc",
    "json5",
    "toml",
    "ini",
    "conf",
    "cfg",
    "cnf",
    "env",
    "properties",
    "hcl",
    "tf",
    "tfvars",
    "tofu",
    "xml",
    "tpl",
    "gotmpl",
    "j2",
    "nix",
    "plist",
];

fn production_word(path: &str) -> Option<&'static str> {
    let ctx = FileContext::of(path);
    if ctx.docs || ctx.test {
        return None;
    }
    let name = file_name(path);
    let ext = extension(name);
    let config = CONFIG_EXTENSIONS.contains(&ext.as_str())
        // `Dockerfile`, `hosts`, `Procfile.prod`: no extension, or the environment as one.
        || !name.contains('.')
        || PRODUCTION_WORDS.contains(&ext.as_str());
    if !config {
        return None;
    }
    for component in path.split('/') {
        let words = words(component);
        for (i, word) in words.iter().enumerate() {
            let Some(found) = PRODUCTION_WORDS.iter().find(|p| **p == word.as_str()) else {
                continue;
            };
            let negated = i > 0 && matches!(words[i - 1].as_str(), "non" | "pre");
            if !negated {
                return Some(found);
            }
        }
    }
    None
}

fn payment_word(path: &str) -> Option<&'static str> {
    if FileContext::of(path).docs {
        return None;
    }
    for component in path.split('/') {
        let words = words(component);
        let vcs = words.iter().any(|w| VCS_WORDS.contains(&w.as_str()));
        for word in &words {
            if let Some(found) = PAYMENT_WORDS.iter().find(|p| **p == word.as_str()) {
                if !(vcs && *found == "checkout") {
                    return Some(found);
                }
            }
        }
    }
    None
}

/// Built-in path globs per category: (category, globs, exclusions), matched whatever the case.
pub(crate) const BUILTIN_PATHS: &[(&str, &[&str], &[&str])] = &[
    (
        "credentials",
        &[
            ".env",
            ".env.*",
            "*.env",
            ".envrc",
            "*.key",
            "*.p12",
            "*.pfx",
            "*.jks",
            "*.keystore",
            "id_rsa",
            "id_dsa",
            "id_ecdsa",
            "id_ed25519",
            ".netrc",
            ".pypirc",
            ".git-credentials",
            ".htpasswd",
            "**/.aws/credentials",
            "**/.docker/config.json",
            "credentials.json",
            "service-account*.json",
        ],
        &[
            "*.example",
            "*.sample",
            "*.template",
            "*.tmpl",
            "*.dist",
            "*.defaults",
            "*.pub",
        ],
    ),
    (
        "migrations",
        &[
            "migrations/",
            "migrate/",
            "**/alembic/versions/",
            "**/db/migration/",
            "**/db/changelog/",
            "**/db/schema.rb",
            "**/db/structure.sql",
            "schema.prisma",
        ],
        &[],
    ),
    (
        "auth",
        &[
            "auth/",
            "authn/",
            "authz/",
            "authentication/",
            "authorization/",
            "oauth/",
            "oauth2/",
            "sso/",
            "saml/",
            "rbac/",
            "permissions/",
            "*auth.*",
            "auth_*",
            "auth-*",
            "*authentication*",
            "*authorization*",
            "*oauth*",
            "*login*",
            "*password*",
            "*permission*",
            "*jwt*",
        ],
        PROSE,
    ),
    (
        "payments",
        &["payment/", "payments/", "billing/", "checkout/"],
        PROSE,
    ),
    (
        "ci-config",
        &[
            ".github/workflows/",
            ".github/actions/",
            // Where GitHub and GitLab look for code owners: who must review what.
            ".github/CODEOWNERS",
            "/CODEOWNERS",
            "docs/CODEOWNERS",
            ".gitlab/CODEOWNERS",
            ".gitlab-ci.yml",
            ".gitlab-ci/",
            ".gitlab/ci/",
            ".circleci/",
            "Jenkinsfile",
            "*.jenkinsfile",
            "azure-pipelines.yml",
            "azure-pipelines.yaml",
            ".azure-pipelines/",
            ".buildkite/",
            ".travis.yml",
            "bitbucket-pipelines.yml",
            ".drone.yml",
            ".woodpecker.yml",
            ".woodpecker/",
            "appveyor.yml",
            ".appveyor.yml",
            "cloudbuild.yaml",
            "cloudbuild.yml",
        ],
        &[],
    ),
    (
        "production-config",
        &[
            // Terraform, OpenTofu, Terragrunt.
            "*.tf",
            "*.tf.json",
            "*.tfvars",
            "*.tfvars.json",
            "*.tofu",
            "*.tofu.json",
            "terraform/",
            "terragrunt.hcl",
            // Pulumi stacks.
            "Pulumi.yaml",
            "Pulumi.yml",
            "Pulumi.*.yaml",
            "Pulumi.*.yml",
            // Helm charts and values.
            "Chart.yaml",
            "Chart.lock",
            "charts/",
            "helm/",
            "helmfile.yaml",
            "helmfile.yml",
            "helmfile.d/",
            // Ansible inventories and playbooks.
            "ansible/",
            "ansible.cfg",
            "playbooks/",
            "*playbook*.yml",
            "*playbook*.yaml",
            "inventory/",
            "inventories/",
            "group_vars/",
            "host_vars/",
            // Hosting platforms.
            "fly.toml",
            "vercel.json",
            "netlify.toml",
            "app.yaml",
            "Procfile",
            "serverless.yml",
            "serverless.yaml",
            "serverless.json",
            "serverless.ts",
            "render.yaml",
            "railway.toml",
            "railway.json",
            "heroku.yml",
            "wrangler.toml",
            "wrangler.json",
            "wrangler.jsonc",
            "firebase.json",
            "amplify.yml",
            "appspec.yml",
            "appspec.yaml",
            ".ebextensions/",
            "Dockerrun.aws.json",
            "cdk.json",
            // Production settings by name (more by word: `overlays/production/`, `values-prod.yaml`).
            "config/production.*",
            "config/environments/production.*",
            "*.prod.*",
            "*.production.*",
            ".env.production",
            ".env.prod",
        ],
        &[
            "*.md",
            "*.markdown",
            "*.rst",
            "*.adoc",
            "*.txt",
            "*.example",
            "*.sample",
            "*.template",
            // Files named for another environment: a staging overlay, a dev compose file.
            "*staging*",
            "*Staging*",
            "*.dev.*",
            "*-dev.*",
            "*_dev.*",
            "*.development.*",
            "*-development.*",
            "*.local.*",
            "*-local.*",
            "*.test.*",
            "*-test.*",
            "*.qa.*",
            "*-qa.*",
        ],
    ),
    (
        "dependencies",
        &[
            "Cargo.toml",
            "Cargo.lock",
            "package.json",
            "package-lock.json",
            "npm-shrinkwrap.json",
            "yarn.lock",
            "pnpm-lock.yaml",
            "pnpm-workspace.yaml",
            "bun.lockb",
            "bun.lock",
            "requirements*.txt",
            "requirements/*.txt",
            "constraints*.txt",
            "Pipfile",
            "Pipfile.lock",
            "pyproject.toml",
            "poetry.lock",
            "uv.lock",
            "setup.py",
            "setup.cfg",
            "go.mod",
            "go.sum",
            "Gemfile",
            "Gemfile.lock",
            "*.gemspec",
            "pom.xml",
            "build.gradle",
            "build.gradle.kts",
            "settings.gradle",
            "settings.gradle.kts",
            "gradle.lockfile",
            "libs.versions.toml",
            "composer.json",
            "composer.lock",
            "mix.exs",
            "mix.lock",
            "Package.swift",
            "Package.resolved",
            "Podfile",
            "Podfile.lock",
            "*.csproj",
            "packages.config",
            "Directory.Packages.props",
            "vcpkg.json",
            "conanfile.txt",
            "conanfile.py",
            "flake.lock",
        ],
        &[],
    ),
    (
        "guard-config",
        &[
            ".agentguard.toml",
            ".agentguard/",
            ".githooks/",
            ".husky/",
            "lefthook.yml",
            "lefthook.yaml",
            ".lefthook.yml",
            ".lefthook.yaml",
            "lefthook-local.yml",
            "lefthook-local.yaml",
            ".lefthook/",
            ".pre-commit-config.yaml",
            ".pre-commit-config.yml",
        ],
        &[],
    ),
];

/// Where a file sits, for the content rules that only make sense in some places.
#[derive(Debug, Clone, Copy, Default)]
pub struct FileContext {
    /// Tests, test data and fixtures.
    pub test: bool,
    /// Dependency lock files: machine-written, full of checksums.
    pub lock: bool,
    /// Prose: Markdown, reStructuredText, AsciiDoc, plain text.
    pub docs: bool,
    /// SQL files, where lower-case SQL is meant as SQL.
    pub sql: bool,
    /// `Cargo.toml`, where `test = false` turns tests off.
    pub cargo_manifest: bool,
}

impl FileContext {
    pub fn of(path: &str) -> Self {
        let name = file_name(path);
        let ext = extension(name);
        Self {
            test: is_test_path(path),
            lock: is_lock_file(name),
            docs: matches!(
                ext.as_str(),
                "md" | "markdown" | "rst" | "adoc" | "asciidoc" | "txt" | "org"
            ),
            sql: ext == "sql",
            cargo_manifest: name == "Cargo.toml",
        }
    }
}

pub(crate) fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn extension(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default()
}

const LOCK_FILES: [&str; 14] = [
    "cargo.lock",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "yarn.lock",
    "pnpm-lock.yaml",
    "poetry.lock",
    "pipfile.lock",
    "uv.lock",
    "go.sum",
    "gemfile.lock",
    "composer.lock",
    "mix.lock",
    "podfile.lock",
    "flake.lock",
];

fn is_lock_file(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    LOCK_FILES.contains(&lower.as_str()) || lower.ends_with(".lockfile")
}

const TEST_DIRS: [&str; 12] = [
    "test",
    "tests",
    "__tests__",
    "spec",
    "specs",
    "testdata",
    "test_data",
    "testing",
    "fixtures",
    "__fixtures__",
    "__mocks__",
    "e2e",
];

/// Tests and their data, by the conventions of the common ecosystems.
pub(crate) fn is_test_path(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    if parts
        .iter()
        .any(|d| TEST_DIRS.contains(&d.to_ascii_lowercase().as_str()))
    {
        return true;
    }
    is_test_file_name(name)
}

/// Whether a test runner collects this file as tests, by its naming conventions (the directory
/// counts only where the runner itself goes by it): `tests/test_a.py.disabled` is in the test
/// tree but no runner will run it.
pub(crate) fn is_runnable_test(path: &str) -> bool {
    let mut parts: Vec<&str> = path.split('/').collect();
    let name = parts.pop().unwrap_or_default();
    if is_test_file_name(name) {
        return true;
    }
    let in_dir = |dirs: &[&str]| {
        parts
            .iter()
            .any(|d| dirs.contains(&d.to_ascii_lowercase().as_str()))
    };
    match extension(name).as_str() {
        // Cargo integration tests and test modules.
        "rs" => in_dir(&["tests", "test"]),
        // Jest's `__tests__`, mocha's `test/`, jasmine's `spec/`.
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "mts" | "cts" => {
            in_dir(&["__tests__", "test", "tests", "spec", "specs", "e2e"])
        }
        "rb" => name.starts_with("test_") && in_dir(&["test", "tests"]),
        "java" | "kt" | "scala" | "groovy" => {
            name.starts_with("Test") && in_dir(&["test", "tests"])
        }
        _ => false,
    }
}

fn is_test_file_name(name: &str) -> bool {
    let (stem, ext) = name.rsplit_once('.').unwrap_or((name, ""));
    match ext {
        "py" => stem.starts_with("test_") || stem.ends_with("_test") || stem == "conftest",
        "go" | "rs" | "exs" | "dart" => stem.ends_with("_test"),
        "rb" => stem.ends_with("_spec") || stem.ends_with("_test"),
        "js" | "jsx" | "ts" | "tsx" | "mjs" | "cjs" | "mts" | "cts" | "vue" => {
            stem.ends_with(".test") || stem.ends_with(".spec") || stem.ends_with("-test")
        }
        "java" | "kt" | "kts" | "scala" | "groovy" | "cs" | "php" | "swift" => {
            stem.ends_with("Test")
                || stem.ends_with("Tests")
                || stem.ends_with("Spec")
                || stem.ends_with("TestCase")
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_tests() {
        for p in [
            "tests/api.rs",
            "src/__tests__/a.js",
            "pkg/foo_test.go",
            "test_models.py",
            "app/models/user_spec.rb",
            "web/button.test.tsx",
            "src/test/java/FooTest.java",
            "conftest.py",
        ] {
            assert!(is_test_path(p), "{p}");
        }
        for p in [
            "src/lib.rs",
            "latest.py",
            "contest/a.py",
            "src/testing_utils.rs",
        ] {
            assert!(!is_test_path(p), "{p}");
        }
    }
}
