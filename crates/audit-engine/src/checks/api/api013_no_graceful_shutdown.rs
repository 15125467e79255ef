//! API013: a Node server that listens and never stops on SIGTERM.

use crate::checks::{Check, Emit, RouteContext};

pub const CHECK: Check = Check::Routes { run: check };

fn check(ctx: &RouteContext<'_>, out: &mut Emit<'_>) {
    let files = || {
        ctx.facts
            .files
            .iter()
            .filter_map(|(p, f)| Some((p, f.routes.as_deref()?)))
    };
    // The signal is usually handled once per service, in its entry file or a shared
    // bootstrap: a handler covers every server of its service.
    let covered: Vec<&str> = files()
        .filter(|(_, r)| r.handles_shutdown)
        .map(|(path, _)| service_root(path))
        .collect();
    for (path, routes) in files() {
        let Some(listen) = &routes.listens else {
            continue;
        };
        let root = service_root(path);
        if !covered.iter().any(|c| root.starts_with(c)) {
            out.report_at(listen.clone(), &[]);
        }
    }
}

/// The folder of the service a file belongs to: the part of its path before its source
/// folder (`services/billing` for `services/billing/src/main.ts`), else its folder. A
/// monorepo's services each handle their own signals.
fn service_root(path: &str) -> &str {
    let mut offset = 0;
    for segment in path.split('/') {
        if matches!(segment, "src" | "app" | "lib" | "server" | "dist" | "bin") {
            return path[..offset].trim_end_matches('/');
        }
        offset += segment.len() + 1;
    }
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

#[cfg(test)]
mod tests {
    fn api013_lines(files: &[(&str, &str)]) -> Vec<(String, u32)> {
        let engine = crate::Engine::new(&crate::ConfigFile::default()).unwrap();
        let files = files
            .iter()
            .map(|(p, t)| (p.to_string(), t.as_bytes().to_vec()))
            .collect();
        engine
            .scan_sources(files)
            .diagnostics
            .iter()
            .filter(|d| d.rule.as_str() == "API013")
            .map(|d| (d.location.path.to_string(), d.location.start.line))
            .collect()
    }

    const SERVER: &str =
        "const express = require(\"express\");\nconst app = express();\napp.listen(3000);\n";

    #[test]
    fn a_signal_handled_anywhere_in_the_project_covers_its_servers() {
        assert_eq!(
            api013_lines(&[("src/server.js", SERVER)]),
            [("src/server.js".to_string(), 3)]
        );
        let shutdown = "export function onStop(server) {\n  process.once(\"SIGTERM\", () => server.close());\n}\n";
        assert!(
            api013_lines(&[("src/server.js", SERVER), ("src/shutdown.js", shutdown)]).is_empty()
        );
        let terminus = "import { createTerminus } from \"@godaddy/terminus\";\n";
        assert!(api013_lines(&[("src/server.js", SERVER), ("src/health.ts", terminus)]).is_empty());
        // A service's handler does not cover another service.
        let other = "process.on(\"SIGTERM\", stop);\n";
        assert_eq!(
            api013_lines(&[
                ("services/api/src/server.js", SERVER),
                ("services/worker/src/main.js", other),
            ]),
            [("services/api/src/server.js".to_string(), 3)]
        );
        assert_eq!(
            super::service_root("services/api/src/server.js"),
            "services/api"
        );
        assert_eq!(super::service_root("src/server.js"), "");
        assert_eq!(super::service_root("index.js"), "");
        assert_eq!(super::service_root("gateway/index.js"), "gateway");
        let nest = "const app = await NestFactory.create(AppModule);\napp.enableShutdownHooks();\nawait app.listen(3000);\n";
        assert!(api013_lines(&[("src/main.ts", nest)]).is_empty());
    }
}
