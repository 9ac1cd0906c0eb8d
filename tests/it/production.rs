//! `production-config` from the built binary: by path, and by a manifest's declared namespace
//! or environment (the whole file, both sides of the change); other environments stay quiet.

use crate::support::{findings, msg, TestRepo, TASK};

/// An agent commit of everything in the work tree; returns the JSON report of `check --no-run`.
fn agent_commit(repo: &TestRepo, expected_code: i32) -> serde_json::Value {
    repo.git(&["add", "-A"]);
    repo.git(&["commit", "-q", "--no-verify", "-m", &msg(&[TASK])]);
    repo.check_json(&["--no-run"], expected_code)
}

/// (path, line, action) of each production-config finding.
fn production(report: &serde_json::Value) -> Vec<(String, Option<u64>, String)> {
    findings(report)
        .iter()
        .filter(|f| f["category"] == "production-config")
        .map(|f| {
            (
                f["path"].as_str().unwrap_or_default().to_string(),
                f["line"].as_u64(),
                f["action"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: api\n  namespace: production\nspec:\n  replicas: 3\n";

#[test]
fn a_manifest_declaring_production_needs_approval_and_staging_is_quiet() {
    let repo = TestRepo::with_initial_commit();
    repo.write("k8s/api/deployment.yaml", DEPLOYMENT);
    repo.write(
        "k8s/api-staging/deployment.yaml",
        &DEPLOYMENT.replace("production", "staging"),
    );
    let report = agent_commit(&repo, 1);
    assert_eq!(
        production(&report),
        vec![("k8s/api/deployment.yaml".into(), Some(5), "approve".into())]
    );
    let finding = findings(&report)
        .into_iter()
        .find(|f| f["category"] == "production-config")
        .unwrap();
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("`namespace: production`"), "{message}");
}

#[test]
fn editing_any_line_of_a_production_manifest_counts() {
    let repo = TestRepo::with_initial_commit();
    repo.write("k8s/api/deployment.yaml", DEPLOYMENT);
    repo.commit_all("human: the api deployment");
    // Only `replicas` changes: the namespace line is not among the added lines.
    repo.write(
        "k8s/api/deployment.yaml",
        &DEPLOYMENT.replace("replicas: 3", "replicas: 1"),
    );
    let report = agent_commit(&repo, 1);
    assert_eq!(
        production(&report),
        vec![("k8s/api/deployment.yaml".into(), Some(5), "approve".into())]
    );
}

#[test]
fn moving_a_manifest_out_of_production_counts_too() {
    let repo = TestRepo::with_initial_commit();
    repo.write("k8s/api/deployment.yaml", DEPLOYMENT);
    repo.commit_all("human: the api deployment");
    repo.write(
        "k8s/api/deployment.yaml",
        &DEPLOYMENT.replace("production", "sandbox"),
    );
    let report = agent_commit(&repo, 1);
    let found = production(&report);
    assert_eq!(found.len(), 1, "{report:#}");
    // The line was in the old file, which is gone: no line number points into it.
    assert_eq!(
        found[0],
        ("k8s/api/deployment.yaml".into(), None, "approve".into())
    );
}

#[test]
fn a_dev_compose_file_is_quiet_and_a_production_one_is_not() {
    let repo = TestRepo::with_initial_commit();
    let dev =
        "services:\n  web:\n    image: shop\n    environment:\n      - RAILS_ENV=development\n";
    repo.write("docker-compose.yml", dev);
    repo.write("docker-compose.dev.yml", dev);
    let report = agent_commit(&repo, 0);
    assert_eq!(production(&report), vec![], "{report:#}");

    repo.write(
        "docker-compose.yml",
        &dev.replace("development", "production"),
    );
    repo.write("docker-compose.prod.yml", dev);
    let report = agent_commit(&repo, 1);
    assert_eq!(
        production(&report),
        vec![
            ("docker-compose.prod.yml".into(), None, "approve".into()),
            ("docker-compose.yml".into(), Some(5), "approve".into()),
        ]
    );
}

#[test]
fn infrastructure_by_path_and_the_policy_can_override() {
    let repo = TestRepo::with_initial_commit();
    repo.write("infra/main.tf", "resource \"aws_s3_bucket\" \"logs\" {}\n");
    repo.write(
        "k8s/overlays/production/kustomization.yaml",
        "resources: []\n",
    );
    repo.write("k8s/overlays/staging/kustomization.yaml", "resources: []\n");
    repo.write("src/production/planner.py", "def plan():\n    pass\n");
    let report = agent_commit(&repo, 1);
    let paths: Vec<String> = production(&report).into_iter().map(|(p, _, _)| p).collect();
    assert_eq!(
        paths,
        vec![
            "infra/main.tf",
            "k8s/overlays/production/kustomization.yaml"
        ]
    );

    // A team that reviews infrastructure elsewhere turns it into a warning, and allowlists a
    // directory; both are read from the base commit.
    repo.write(
        ".agentguard.toml",
        "[risk.production-config]\naction = \"warn\"\n\n[allowlist]\npaths = [\"k8s/**\"]\n",
    );
    repo.commit_all("human: production-config warns");
    repo.write("infra/main.tf", "resource \"aws_s3_bucket\" \"audit\" {}\n");
    repo.write("k8s/api/deployment.yaml", DEPLOYMENT);
    let report = agent_commit(&repo, 0);
    assert_eq!(
        production(&report),
        vec![("infra/main.tf".into(), None, "warn".into())]
    );
}
