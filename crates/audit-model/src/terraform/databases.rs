//! The databases a module declares that demand TLS from their clients: reachable from
//! the internet (RDS `publicly_accessible`, Azure `public_network_access_enabled`) or
//! configured to refuse plain connections (an RDS parameter group with `rds.force_ssl`
//! or `require_secure_transport`, Cloud SQL `require_ssl`/`ssl_mode`, Azure
//! `ssl_enforcement_enabled`). What cross-layer rules join code connections with.

use audit_core::{SourceText, Span};

use super::{Module, Value};

/// A database resource instance that demands TLS, and why.
pub struct TlsDatabase<'a> {
    pub source: &'a SourceText,
    /// `aws_db_instance.main`.
    pub address: String,
    /// The attribute that makes it so.
    pub span: Span,
    pub public: bool,
    /// "is publicly accessible", "requires TLS (`rds.force_ssl = 1`)".
    pub why: String,
}

/// The resource types [`tls_databases`] reads.
pub const TLS_DATABASE_TYPES: &[&str] = &[
    "aws_db_instance",
    "aws_rds_cluster_instance",
    "aws_db_parameter_group",
    "aws_rds_cluster_parameter_group",
    "google_sql_database_instance",
    "azurerm_postgresql_server",
    "azurerm_mysql_server",
    "azurerm_mariadb_server",
];

/// Parameters of RDS parameter groups that refuse connections without TLS.
const FORCE_TLS_PARAMETERS: &[&str] = &["rds.force_ssl", "require_secure_transport"];

/// The module's databases that are public or refuse plain connections.
pub fn tls_databases<'a>(module: &'a Module<'a>) -> Vec<TlsDatabase<'a>> {
    let mut found = Vec::new();
    for resource in module.resources() {
        let body = resource.body();
        let mut add = |span: Span, public: bool, why: String| {
            found.push(TlsDatabase {
                source: resource.source,
                address: resource.address(),
                span,
                public,
                why,
            })
        };
        let on = |value: &Value| {
            value.as_bool() == Some(true)
                || value.as_i64() == Some(1)
                || value
                    .as_str()
                    .is_some_and(|s| matches!(s.to_ascii_lowercase().as_str(), "1" | "on" | "true"))
        };
        match resource.resource_type {
            "aws_db_instance" | "aws_rds_cluster_instance" => {
                if let Some(attr) = body.attr("publicly_accessible")
                    && attr.value.as_bool() == Some(true)
                {
                    add(attr.span, true, "is publicly accessible".into());
                }
            }
            "aws_db_parameter_group" | "aws_rds_cluster_parameter_group" => {
                for parameter in body.blocks("parameter") {
                    let name = parameter.value("name");
                    let Some(name) = name.as_str().filter(|n| FORCE_TLS_PARAMETERS.contains(n))
                    else {
                        continue;
                    };
                    if let Some(value) = parameter.attr("value")
                        && on(&value.value)
                    {
                        add(value.span, false, format!("requires TLS (`{name}`)"));
                    }
                }
            }
            "google_sql_database_instance" => {
                for settings in body.blocks("settings") {
                    for ip in settings.blocks("ip_configuration") {
                        if let Some(attr) = ip.attr("require_ssl")
                            && attr.value.as_bool() == Some(true)
                        {
                            add(attr.span, false, "requires TLS (`require_ssl`)".into());
                        }
                        if let Some(attr) = ip.attr("ssl_mode")
                            && attr
                                .value
                                .as_str()
                                .is_some_and(|m| m != "ALLOW_UNENCRYPTED_AND_ENCRYPTED")
                        {
                            add(attr.span, false, "requires TLS (`ssl_mode`)".into());
                        }
                    }
                }
            }
            "azurerm_postgresql_server" | "azurerm_mysql_server" | "azurerm_mariadb_server" => {
                if let Some(attr) = body.attr("ssl_enforcement_enabled")
                    && attr.value.as_bool() == Some(true)
                {
                    add(
                        attr.span,
                        false,
                        "requires TLS (`ssl_enforcement_enabled`)".into(),
                    );
                }
                if let Some(attr) = body.attr("public_network_access_enabled")
                    && attr.value.as_bool() == Some(true)
                {
                    add(attr.span, true, "is reachable from public networks".into());
                }
            }
            _ => {}
        }
    }
    found
}
