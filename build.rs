//! Links the binary of release-like builds (the `release` and `dist` profiles) with packed
//! relative relocations (DT_RELR) on Linux with glibc: the relocation table shrinks from about
//! 270 KiB to 7 KiB, so the binary is smaller and the loader has less to do at start. Stable
//! cargo has no per-profile linker flags (profile `rustflags` are unstable, and a target's
//! `rustflags` in `.cargo/config.toml` would apply to every profile and crate), but a build
//! script may pass link arguments to the package's own binaries. It needs GNU ld 2.38 or lld 15
//! and glibc 2.36 where the binary is built and run; `AGENTGUARD_NO_RELR=1` builds without.
fn main() {
    println!("cargo::rerun-if-changed=build.rs");
    println!("cargo::rerun-if-env-changed=AGENTGUARD_NO_RELR");
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    let linux_gnu = var("CARGO_CFG_TARGET_OS") == "linux" && var("CARGO_CFG_TARGET_ENV") == "gnu";
    // PROFILE is `release` for every profile that inherits from release, `debug` otherwise.
    let release = var("PROFILE") == "release";
    if linux_gnu && release && var("AGENTGUARD_NO_RELR") != "1" {
        println!("cargo::rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
}
