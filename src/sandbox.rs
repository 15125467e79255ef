//! Read-only by construction, enforced by the kernel. Once the files the user asked us to
//! write are open and before any worker thread exists, the process gives up, with Landlock,
//! every filesystem right but reading (creating, writing, truncating, renaming, deleting,
//! linking anywhere), TCP bind and connect, and signals and abstract sockets outside itself.
//! Threads and child processes started later (the `--diff-base` git) inherit the
//! restriction; files opened before (standard streams, `--output`) keep working.

use std::fmt;

/// What the sandbox could do on this system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sandbox {
    /// Every requested restriction is enforced.
    Enforced,
    /// Enforced as far as this kernel's Landlock version allows; `missing` says what not.
    Partial { missing: &'static str },
    /// This system has no Landlock: the scan runs, read-only by its own code only.
    Unavailable { reason: String },
    /// Landlock exists but refused the ruleset: said always, since it should not happen.
    Failed { error: String },
    /// `--no-sandbox`.
    Disabled,
}

impl fmt::Display for Sandbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sandbox::Enforced => {
                f.write_str("sandbox: Landlock enforced (read-only filesystem, no TCP)")
            }
            Sandbox::Partial { missing } => write!(
                f,
                "sandbox: Landlock partly enforced; this kernel cannot restrict {missing}"
            ),
            Sandbox::Unavailable { reason } => write!(f, "sandbox unavailable: {reason}"),
            Sandbox::Failed { error } => write!(f, "sandbox not enforced: {error}"),
            Sandbox::Disabled => f.write_str("sandbox disabled by --no-sandbox"),
        }
    }
}

/// Restricts the calling thread and everything it starts afterwards. Call it from the main
/// thread before spawning threads: Landlock before ABI 8 does not reach existing threads.
#[cfg(target_os = "linux")]
pub fn enforce() -> Sandbox {
    use landlock::{
        ABI, Access, AccessFs, AccessNet, LandlockStatus, Ruleset, RulesetAttr, RulesetCreatedAttr,
        RulesetStatus, Scope, path_beneath_rules,
    };

    // The newest ABI this was tested on; older kernels get the subset they support.
    let abi = ABI::V7;
    let status = Ruleset::default()
        .handle_access(AccessFs::from_all(abi))
        .and_then(|r| r.handle_access(AccessNet::from_all(abi)))
        .and_then(|r| r.scope(Scope::from_all(abi)))
        .and_then(|r| r.create())
        .and_then(|r| r.add_rules(path_beneath_rules(["/"], AccessFs::from_read(abi))))
        // Writing to /dev/null changes nothing; git opens it read-write when started
        // without standard streams.
        .and_then(|r| {
            r.add_rules(path_beneath_rules(
                ["/dev/null"],
                AccessFs::ReadFile | AccessFs::WriteFile | AccessFs::Truncate,
            ))
        })
        .and_then(|r| r.restrict_self());
    match status {
        Err(e) => Sandbox::Failed {
            error: e.to_string(),
        },
        Ok(status) => match (status.ruleset, status.landlock) {
            (RulesetStatus::FullyEnforced, _) => Sandbox::Enforced,
            (RulesetStatus::PartiallyEnforced, LandlockStatus::Available { effective_abi, .. }) => {
                Sandbox::Partial {
                    missing: missing_since(effective_abi),
                }
            }
            (RulesetStatus::PartiallyEnforced, _) => Sandbox::Partial {
                missing: "some operations",
            },
            (RulesetStatus::NotEnforced, LandlockStatus::NotEnabled) => Sandbox::Unavailable {
                reason: "Landlock is not enabled in this kernel (boot option lsm=...,landlock)"
                    .into(),
            },
            (RulesetStatus::NotEnforced, _) => Sandbox::Unavailable {
                reason: "this kernel has no Landlock (Linux 5.13 or later)".into(),
            },
        },
    }
}

#[cfg(not(target_os = "linux"))]
pub fn enforce() -> Sandbox {
    Sandbox::Unavailable {
        reason: "the Landlock sandbox exists on Linux only".into(),
    }
}

/// What a kernel with Landlock ABI `abi` cannot restrict of what we ask.
#[cfg(target_os = "linux")]
fn missing_since(abi: landlock::ABI) -> &'static str {
    use landlock::ABI;
    match abi {
        ABI::Unsupported | ABI::V1 => {
            "renaming across folders, truncation, TCP, signals or device ioctls"
        }
        ABI::V2 => "truncation, TCP, signals or device ioctls",
        ABI::V3 => "TCP, signals or device ioctls",
        ABI::V4 => "signals or device ioctls",
        ABI::V5 => "signals or abstract sockets",
        _ => "some operations",
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;
    use std::io::{ErrorKind, Read, Write};
    use std::net::{TcpListener, TcpStream};

    /// The kernel enforces the sandbox on a thread of its own (Landlock restricts the
    /// calling thread), so the test harness's other threads stay free.
    #[test]
    fn a_sandboxed_thread_can_read_but_not_write_create_delete_rename_or_connect() {
        let dir = tempfile::tempdir().unwrap();
        let existing = dir.path().join("existing.js");
        std::fs::write(&existing, "const a = 1;\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        // Opened before the sandbox, like `--output`: it must stay writable.
        let mut output = std::fs::File::create(dir.path().join("report.json")).unwrap();

        let root = dir.path().to_path_buf();
        let outcome = std::thread::spawn(move || {
            let sandbox = enforce();
            if sandbox != Sandbox::Enforced {
                return Err(sandbox);
            }
            let denied = |what: &str, r: std::io::Result<()>| match r {
                Err(e) if e.kind() == ErrorKind::PermissionDenied => None,
                other => Some(format!("{what}: expected permission denied, got {other:?}")),
            };
            let mut failures = Vec::new();
            let mut text = String::new();
            if let Err(e) = std::fs::File::open(root.join("existing.js"))
                .and_then(|mut f| f.read_to_string(&mut text))
            {
                failures.push(format!("reading failed: {e}"));
            }
            let attempts = [
                ("create", std::fs::write(root.join("new.txt"), "x")),
                (
                    "write",
                    std::fs::OpenOptions::new()
                        .write(true)
                        .open(root.join("existing.js"))
                        .map(drop),
                ),
                (
                    "truncate",
                    std::fs::OpenOptions::new()
                        .read(true)
                        .write(true)
                        .truncate(true)
                        .open(root.join("existing.js"))
                        .map(drop),
                ),
                ("delete", std::fs::remove_file(root.join("existing.js"))),
                (
                    "rename",
                    std::fs::rename(root.join("existing.js"), root.join("moved.js")),
                ),
                ("mkdir", std::fs::create_dir(root.join("made"))),
                ("rmdir", std::fs::remove_dir(root.join("sub"))),
                (
                    "symlink",
                    std::os::unix::fs::symlink("/etc/passwd", root.join("link")),
                ),
                (
                    "tcp connect",
                    TcpStream::connect(("127.0.0.1", port)).map(drop),
                ),
                ("tcp bind", TcpListener::bind("127.0.0.1:0").map(drop)),
            ];
            failures.extend(attempts.into_iter().filter_map(|(w, r)| denied(w, r)));
            if let Err(e) = output.write_all(b"{}").and_then(|()| output.flush()) {
                failures.push(format!("the file opened before the sandbox: {e}"));
            }
            Ok((text, failures))
        })
        .join()
        .unwrap();

        match outcome {
            // Only a kernel without Landlock (ABI 4+ for TCP) may skip this test.
            Err(sandbox @ (Sandbox::Unavailable { .. } | Sandbox::Partial { .. })) => {
                eprintln!("skipped: {sandbox}");
                return;
            }
            Err(sandbox) => panic!("Landlock must be enforced: {sandbox}"),
            Ok((text, failures)) => {
                assert_eq!(text, "const a = 1;\n");
                assert!(failures.is_empty(), "{failures:#?}");
            }
        }
        assert_eq!(
            std::fs::read_to_string(dir.path().join("report.json")).unwrap(),
            "{}"
        );
        assert!(!dir.path().join("new.txt").exists());
    }
}
