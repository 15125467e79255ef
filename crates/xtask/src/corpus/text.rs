//! Configuration files per service, the text-file class SEC006 searches: compose files,
//! Helm values, JSON config per environment, `.properties` and `.env.example` templates.
//! Most values are hosts, ports, flags and references to secrets (`${DB_PASSWORD}`,
//! `secretName`); a few files hold a literal password or a token.

use std::fmt::Write as _;
use std::io;

use super::{Gen, Out, service_name};

/// How often a file holds a hard-coded secret.
const VULNERABLE: f64 = 0.08;

const SETTINGS: &[&str] = &[
    "host",
    "port",
    "timeout_ms",
    "pool_size",
    "log_level",
    "region",
    "bucket",
    "queue_url",
    "feature_flags",
    "retry_count",
    "cache_ttl",
    "base_url",
    "max_connections",
    "replicas",
];
const ENVIRONMENTS: &[&str] = &["development", "staging", "production", "test"];

pub(crate) fn generate(rng: &mut Gen, out: &mut Out<'_>) -> io::Result<()> {
    let mut index = 0;
    while !out.full() {
        let service = service_name(index);
        index += 1;
        let dir = format!("services/{service}");
        let size = rng.size(1_500.0);
        out.source(
            &format!("{dir}/docker-compose.yml"),
            &compose(rng, &service, size),
        )?;
        out.source(
            &format!("{dir}/deploy/values.yaml"),
            &values(rng, &service, size),
        )?;
        for env in rng.distinct(ENVIRONMENTS, 2) {
            out.source(
                &format!("{dir}/config/{env}.json"),
                &json(rng, &service, size),
            )?;
        }
        out.source(
            &format!("{dir}/config/application.properties"),
            &properties(rng, &service, size / 2),
        )?;
        out.source(&format!("{dir}/.env.example"), &env_example(rng, &service))?;
    }
    Ok(())
}

/// A password or token of the shape real ones have.
fn secret(rng: &mut Gen) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let body: String = (0..20).map(|_| rng.pick(ALPHABET) as char).collect();
    match rng.between(0, 2) {
        0 => format!("ghp_{body}{}", &body[..16]),
        1 => format!("Pw{body}9"),
        _ => format!(
            "xoxb-{}-{}-{body}",
            rng.between(100_000, 999_999),
            rng.between(100_000, 999_999)
        ),
    }
}

fn setting(rng: &mut Gen, service: &str, key: &str) -> String {
    match key {
        "host" => format!("{service}.internal"),
        "port" => rng.between(3000, 9000).to_string(),
        "log_level" => rng.pick(&["debug", "info", "warn"]).to_string(),
        "region" => rng.pick(&["eu-west-1", "us-east-1"]).to_string(),
        "base_url" | "queue_url" => format!("https://{service}.example.org/{}", rng.between(1, 99)),
        "bucket" => format!("{service}-assets"),
        "feature_flags" => "search,export".to_string(),
        _ => rng.between(1, 5000).to_string(),
    }
}

fn compose(rng: &mut Gen, service: &str, size: usize) -> String {
    let mut text = format!(
        "services:\n  {service}:\n    image: registry.example.org/{service}:latest\n    environment:\n"
    );
    let leak = rng.chance(VULNERABLE);
    let mut n = 0;
    while text.len() < size {
        let key = rng.pick(SETTINGS);
        let _ = writeln!(
            text,
            "      {}_{n}: \"{}\"",
            key.to_uppercase(),
            setting(rng, service, key)
        );
        if n % 7 == 0 {
            let _ = writeln!(text, "      DB_PASSWORD_{n}: ${{DB_PASSWORD}}");
        }
        n += 1;
    }
    if leak {
        let _ = writeln!(text, "      API_TOKEN: {}", secret(rng));
    }
    text.push_str("    ports:\n      - \"8080:8080\"\n");
    text
}

fn values(rng: &mut Gen, service: &str, size: usize) -> String {
    let mut text = format!(
        "replicaCount: {}\nimage:\n  repository: {service}\n  tag: latest\nauth:\n  existingSecret: {service}-credentials\n  secretKeys:\n    passwordKey: password\n",
        rng.between(1, 4)
    );
    let mut n = 0;
    while text.len() < size {
        let key = rng.pick(SETTINGS);
        let _ = writeln!(
            text,
            "{key}{n}:\n  enabled: true\n  value: {}",
            setting(rng, service, key)
        );
        n += 1;
    }
    if rng.chance(VULNERABLE) {
        let _ = writeln!(text, "smtp:\n  password: \"{}\"", secret(rng));
    }
    text
}

fn json(rng: &mut Gen, service: &str, size: usize) -> String {
    let mut entries = vec![format!("  \"service\": \"{service}\"")];
    let mut len = 0;
    let mut n = 0;
    while len < size {
        let key = rng.pick(SETTINGS);
        let entry = format!(
            "  \"{key}{n}\": {{ \"value\": \"{}\", \"tokenHeader\": \"X-Token\" }}",
            setting(rng, service, key)
        );
        len += entry.len();
        entries.push(entry);
        n += 1;
    }
    if rng.chance(VULNERABLE) {
        entries.push(format!("  \"apiKey\": \"{}\"", secret(rng)));
    }
    format!("{{\n{}\n}}\n", entries.join(",\n"))
}

fn properties(rng: &mut Gen, service: &str, size: usize) -> String {
    let mut text =
        format!("spring.application.name={service}\nspring.datasource.password=${{DB_PASSWORD}}\n");
    let mut n = 0;
    while text.len() < size {
        let key = rng.pick(SETTINGS);
        let _ = writeln!(text, "{service}.{key}.{n}={}", setting(rng, service, key));
        n += 1;
    }
    text
}

fn env_example(rng: &mut Gen, service: &str) -> String {
    let mut text = format!(
        "# Copy to .env for local development of {service}.\nDB_PASSWORD=changeme\nJWT_SECRET=\n"
    );
    for key in rng.distinct(SETTINGS, 6) {
        let _ = writeln!(
            text,
            "{}={}",
            key.to_uppercase(),
            setting(rng, service, key)
        );
    }
    text
}
