//! Which CI system runs us, and what its variables say about the change being built: the
//! branch (a detached checkout does not say it) and, for a pull request, the branch it goes
//! into. One table, read through a function so the tests can hand it any environment.

/// What the CI system's variables say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ci {
    /// The CI system, as its users call it.
    pub name: &'static str,
    /// The branch the build is for (a pull request's source branch).
    pub branch: Option<String>,
    /// The branch a pull request goes into.
    pub base: Option<String>,
    /// A commit the CI names as the pull request's base, when it names one.
    pub base_commit: Option<String>,
}

/// One CI system: the variable that says it is running, and how its variables are read.
struct System {
    name: &'static str,
    /// Whether this system runs the job.
    detect: fn(&Env<'_>) -> bool,
    read: fn(&Env<'_>) -> Reading,
}

#[derive(Default)]
struct Reading {
    branch: Option<String>,
    base: Option<String>,
    base_commit: Option<String>,
}

/// The environment, as a lookup that treats empty values as unset.
struct Env<'a>(&'a dyn Fn(&str) -> Option<String>);

impl Env<'_> {
    fn get(&self, name: &str) -> Option<String> {
        (self.0)(name).filter(|v| !v.trim().is_empty())
    }

    fn is(&self, name: &str, value: &str) -> bool {
        self.get(name)
            .is_some_and(|v| v.eq_ignore_ascii_case(value))
    }

    fn first(&self, names: &[&str]) -> Option<String> {
        names.iter().find_map(|n| self.get(n))
    }
}

/// `refs/heads/x` → `x`; other names as they are.
fn branch_name(value: String) -> String {
    match value.strip_prefix("refs/heads/") {
        Some(rest) => rest.to_string(),
        None => value,
    }
}

/// The table, in the order systems are tried: a system that also sets another's variables
/// (Woodpecker once set Drone's) comes first.
const SYSTEMS: &[System] = &[
    System {
        name: "GitHub Actions",
        detect: |e| e.is("GITHUB_ACTIONS", "true"),
        read: |e| Reading {
            // GITHUB_REF_NAME is `<n>/merge` for a pull request; a branch only on a push.
            branch: e.get("GITHUB_HEAD_REF").or_else(|| {
                e.get("GITHUB_REF")
                    .filter(|r| r.starts_with("refs/heads/"))
                    .map(branch_name)
            }),
            base: e.get("GITHUB_BASE_REF"),
            base_commit: None,
        },
    },
    System {
        name: "GitLab CI",
        detect: |e| e.is("GITLAB_CI", "true"),
        read: |e| Reading {
            branch: e.first(&["CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH"]),
            base: e.get("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"),
            base_commit: e.get("CI_MERGE_REQUEST_DIFF_BASE_SHA"),
        },
    },
    System {
        name: "Buildkite",
        detect: |e| e.is("BUILDKITE", "true"),
        read: |e| Reading {
            branch: e.get("BUILDKITE_BRANCH"),
            base: e
                .get("BUILDKITE_PULL_REQUEST")
                .filter(|pr| pr != "false")
                .and_then(|_| e.get("BUILDKITE_PULL_REQUEST_BASE_BRANCH")),
            base_commit: None,
        },
    },
    System {
        name: "Jenkins",
        detect: |e| e.get("JENKINS_URL").is_some() || e.get("JENKINS_HOME").is_some(),
        read: |e| Reading {
            // For a change request BRANCH_NAME is `PR-<n>`; CHANGE_BRANCH is its source.
            branch: e.first(&["CHANGE_BRANCH", "BRANCH_NAME"]),
            base: e.get("CHANGE_TARGET"),
            base_commit: None,
        },
    },
    System {
        name: "CircleCI",
        detect: |e| e.is("CIRCLECI", "true"),
        read: |e| Reading {
            branch: e.get("CIRCLE_BRANCH"),
            // CircleCI names the pull request, not its base: the remote's default branch is.
            base: None,
            base_commit: None,
        },
    },
    System {
        name: "Azure Pipelines",
        detect: |e| e.is("TF_BUILD", "true"),
        read: |e| Reading {
            // BUILD_SOURCEBRANCHNAME keeps only the last segment (`x` of `agent/x`).
            branch: e
                .get("SYSTEM_PULLREQUEST_SOURCEBRANCH")
                .or_else(|| {
                    e.get("BUILD_SOURCEBRANCH")
                        .filter(|r| r.starts_with("refs/heads/"))
                })
                .map(branch_name),
            base: e.get("SYSTEM_PULLREQUEST_TARGETBRANCH").map(branch_name),
            base_commit: None,
        },
    },
    System {
        name: "Bitbucket Pipelines",
        detect: |e| e.get("BITBUCKET_BUILD_NUMBER").is_some(),
        read: |e| Reading {
            branch: e.get("BITBUCKET_BRANCH"),
            base: e.get("BITBUCKET_PR_DESTINATION_BRANCH"),
            base_commit: None,
        },
    },
    System {
        name: "Woodpecker",
        detect: |e| e.is("CI", "woodpecker"),
        read: |e| {
            let pull = e.is("CI_PIPELINE_EVENT", "pull_request");
            Reading {
                // For a pull request CI_COMMIT_BRANCH is the target.
                branch: if pull {
                    e.get("CI_COMMIT_SOURCE_BRANCH")
                } else {
                    e.get("CI_COMMIT_BRANCH")
                },
                base: if pull {
                    e.get("CI_COMMIT_TARGET_BRANCH")
                } else {
                    None
                },
                base_commit: None,
            }
        },
    },
    System {
        name: "Drone",
        detect: |e| e.is("DRONE", "true"),
        read: |e| {
            let pull = e.is("DRONE_BUILD_EVENT", "pull_request");
            Reading {
                // For a pull request DRONE_BRANCH is the target.
                branch: if pull {
                    e.get("DRONE_SOURCE_BRANCH")
                } else {
                    e.get("DRONE_BRANCH")
                },
                base: if pull {
                    e.get("DRONE_TARGET_BRANCH")
                } else {
                    None
                },
                base_commit: None,
            }
        },
    },
    System {
        name: "Travis CI",
        detect: |e| e.is("TRAVIS", "true"),
        read: |e| {
            let pull = e.get("TRAVIS_PULL_REQUEST").is_some_and(|pr| pr != "false");
            Reading {
                // For a pull request TRAVIS_BRANCH is the target.
                branch: if pull {
                    e.get("TRAVIS_PULL_REQUEST_BRANCH")
                } else {
                    e.get("TRAVIS_BRANCH")
                },
                base: if pull { e.get("TRAVIS_BRANCH") } else { None },
                base_commit: None,
            }
        },
    },
];

/// The CI system running us, if one of the table's does; `CI=true` alone is a CI whose
/// variables say nothing.
pub(crate) fn detect(lookup: &dyn Fn(&str) -> Option<String>) -> Option<Ci> {
    let env = Env(lookup);
    if let Some(system) = SYSTEMS.iter().find(|s| (s.detect)(&env)) {
        let reading = (system.read)(&env);
        return Some(Ci {
            name: system.name,
            branch: reading.branch,
            base: reading.base,
            base_commit: reading.base_commit,
        });
    }
    let generic = env
        .get("CI")
        .is_some_and(|v| !matches!(v.as_str(), "0" | "false"));
    generic.then_some(Ci {
        name: "CI",
        branch: None,
        base: None,
        base_commit: None,
    })
}

/// [`detect`] on this process's environment.
pub(crate) fn from_env() -> Option<Ci> {
    detect(&|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn ci(vars: &[(&str, &str)]) -> Option<Ci> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        detect(&|name| map.get(name).cloned())
    }

    fn read(vars: &[(&str, &str)]) -> (&'static str, Option<String>, Option<String>) {
        let ci = ci(vars).expect("a CI is detected");
        (ci.name, ci.branch, ci.base)
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn outside_ci_nothing_is_detected() {
        assert_eq!(ci(&[]), None);
        assert_eq!(ci(&[("CI", "false")]), None);
        assert_eq!(ci(&[("CI", "")]), None);
        assert_eq!(ci(&[("GITHUB_ACTIONS", "")]), None);
    }

    #[test]
    fn ci_true_alone_is_a_ci_that_names_nothing() {
        assert_eq!(read(&[("CI", "true")]), ("CI", None, None));
        assert_eq!(read(&[("CI", "1")]), ("CI", None, None));
    }

    #[test]
    fn github_actions() {
        let pull = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_HEAD_REF", "agent/T-1"),
            ("GITHUB_BASE_REF", "main"),
            ("GITHUB_REF", "refs/pull/7/merge"),
        ];
        assert_eq!(
            read(&pull),
            ("GitHub Actions", some("agent/T-1"), some("main"))
        );
        let push = [
            ("GITHUB_ACTIONS", "true"),
            ("GITHUB_REF", "refs/heads/agent/T-1"),
            ("GITHUB_HEAD_REF", ""),
        ];
        assert_eq!(read(&push), ("GitHub Actions", some("agent/T-1"), None));
        let tag = [("GITHUB_ACTIONS", "true"), ("GITHUB_REF", "refs/tags/v1")];
        assert_eq!(read(&tag), ("GitHub Actions", None, None));
    }

    #[test]
    fn gitlab_ci() {
        let mr = [
            ("GITLAB_CI", "true"),
            ("CI", "true"),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "agent/T-1"),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", "main"),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "abc123"),
        ];
        let detected = ci(&mr).unwrap();
        assert_eq!(detected.name, "GitLab CI");
        assert_eq!(detected.branch, some("agent/T-1"));
        assert_eq!(detected.base, some("main"));
        assert_eq!(detected.base_commit, some("abc123"));
        let branch = [("GITLAB_CI", "true"), ("CI_COMMIT_BRANCH", "agent/T-1")];
        assert_eq!(read(&branch), ("GitLab CI", some("agent/T-1"), None));
    }

    #[test]
    fn buildkite() {
        let pr = [
            ("BUILDKITE", "true"),
            ("BUILDKITE_BRANCH", "agent/T-1"),
            ("BUILDKITE_PULL_REQUEST", "12"),
            ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "main"),
        ];
        assert_eq!(read(&pr), ("Buildkite", some("agent/T-1"), some("main")));
        let push = [
            ("BUILDKITE", "true"),
            ("BUILDKITE_BRANCH", "agent/T-1"),
            ("BUILDKITE_PULL_REQUEST", "false"),
            ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", ""),
        ];
        assert_eq!(read(&push), ("Buildkite", some("agent/T-1"), None));
    }

    #[test]
    fn jenkins() {
        let change = [
            ("JENKINS_URL", "https://ci.example.com/"),
            ("BRANCH_NAME", "PR-12"),
            ("CHANGE_BRANCH", "agent/T-1"),
            ("CHANGE_TARGET", "main"),
        ];
        assert_eq!(read(&change), ("Jenkins", some("agent/T-1"), some("main")));
        let branch = [
            ("JENKINS_HOME", "/var/jenkins"),
            ("BRANCH_NAME", "agent/T-1"),
        ];
        assert_eq!(read(&branch), ("Jenkins", some("agent/T-1"), None));
    }

    #[test]
    fn circleci() {
        let vars = [
            ("CIRCLECI", "true"),
            ("CIRCLE_BRANCH", "agent/T-1"),
            ("CIRCLE_PULL_REQUEST", "https://github.com/o/r/pull/12"),
        ];
        assert_eq!(read(&vars), ("CircleCI", some("agent/T-1"), None));
    }

    #[test]
    fn azure_pipelines() {
        let pr = [
            ("TF_BUILD", "True"),
            ("BUILD_SOURCEBRANCH", "refs/pull/12/merge"),
            ("BUILD_SOURCEBRANCHNAME", "merge"),
            ("SYSTEM_PULLREQUEST_SOURCEBRANCH", "refs/heads/agent/T-1"),
            ("SYSTEM_PULLREQUEST_TARGETBRANCH", "refs/heads/main"),
        ];
        assert_eq!(
            read(&pr),
            ("Azure Pipelines", some("agent/T-1"), some("main"))
        );
        let push = [
            ("TF_BUILD", "True"),
            ("BUILD_SOURCEBRANCH", "refs/heads/agent/T-1"),
            ("BUILD_SOURCEBRANCHNAME", "T-1"),
        ];
        assert_eq!(read(&push), ("Azure Pipelines", some("agent/T-1"), None));
    }

    #[test]
    fn bitbucket_pipelines() {
        let pr = [
            ("BITBUCKET_BUILD_NUMBER", "7"),
            ("BITBUCKET_BRANCH", "agent/T-1"),
            ("BITBUCKET_PR_DESTINATION_BRANCH", "main"),
        ];
        assert_eq!(
            read(&pr),
            ("Bitbucket Pipelines", some("agent/T-1"), some("main"))
        );
    }

    #[test]
    fn drone() {
        let pr = [
            ("DRONE", "true"),
            ("DRONE_BUILD_EVENT", "pull_request"),
            ("DRONE_BRANCH", "main"),
            ("DRONE_SOURCE_BRANCH", "agent/T-1"),
            ("DRONE_TARGET_BRANCH", "main"),
        ];
        assert_eq!(read(&pr), ("Drone", some("agent/T-1"), some("main")));
        let push = [
            ("DRONE", "true"),
            ("DRONE_BUILD_EVENT", "push"),
            ("DRONE_BRANCH", "agent/T-1"),
            ("DRONE_TARGET_BRANCH", "agent/T-1"),
        ];
        assert_eq!(read(&push), ("Drone", some("agent/T-1"), None));
    }

    #[test]
    fn woodpecker_before_drone() {
        let pr = [
            ("CI", "woodpecker"),
            ("DRONE", "true"),
            ("CI_PIPELINE_EVENT", "pull_request"),
            ("CI_COMMIT_BRANCH", "main"),
            ("CI_COMMIT_SOURCE_BRANCH", "agent/T-1"),
            ("CI_COMMIT_TARGET_BRANCH", "main"),
        ];
        assert_eq!(read(&pr), ("Woodpecker", some("agent/T-1"), some("main")));
        let push = [
            ("CI", "woodpecker"),
            ("CI_PIPELINE_EVENT", "push"),
            ("CI_COMMIT_BRANCH", "agent/T-1"),
        ];
        assert_eq!(read(&push), ("Woodpecker", some("agent/T-1"), None));
    }

    #[test]
    fn travis() {
        let pr = [
            ("TRAVIS", "true"),
            ("TRAVIS_PULL_REQUEST", "12"),
            ("TRAVIS_BRANCH", "main"),
            ("TRAVIS_PULL_REQUEST_BRANCH", "agent/T-1"),
        ];
        assert_eq!(read(&pr), ("Travis CI", some("agent/T-1"), some("main")));
        let push = [
            ("TRAVIS", "true"),
            ("TRAVIS_PULL_REQUEST", "false"),
            ("TRAVIS_BRANCH", "agent/T-1"),
            ("TRAVIS_PULL_REQUEST_BRANCH", ""),
        ];
        assert_eq!(read(&push), ("Travis CI", some("agent/T-1"), None));
    }

    #[test]
    fn every_system_is_listed_once() {
        let names: Vec<&str> = SYSTEMS.iter().map(|s| s.name).collect();
        let mut unique = names.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(names.len(), unique.len());
        assert_eq!(names.len(), 10);
    }
}
