//! TF014: API Gateway methods and routes that anyone can call: REST methods with
//! `authorization = "NONE"` and no API key, HTTP API routes without an authorizer.

use crate::checks::{Check, Emit};
use crate::project::terraform::ResourceContext;

pub const CHECK: Check = Check::Terraform {
    resources: &["aws_api_gateway_method", "aws_apigatewayv2_route"],
    run: check,
};

fn check(ctx: &ResourceContext<'_>, out: &mut Emit<'_>) {
    let body = ctx.body();
    let (method, authorization, route) = match ctx.resource_type {
        "aws_api_gateway_method" => {
            // An API key is a (weak) gate that the rule leaves to the API's owners.
            if body.value("api_key_required").as_bool() == Some(true) {
                return;
            }
            (
                body.value("http_method"),
                body.attr("authorization"),
                String::new(),
            )
        }
        _ => {
            let route_key = body.value("route_key");
            let Some(key) = route_key.as_str() else {
                return;
            };
            let method = key.split_whitespace().next().unwrap_or("").to_string();
            (
                method.as_str().into(),
                body.attr("authorization_type"),
                key.to_string(),
            )
        }
    };
    // CORS preflight requests carry no credentials by design.
    if method
        .as_str()
        .is_none_or(|m| m.eq_ignore_ascii_case("OPTIONS"))
    {
        return;
    }
    let (span, open) = match &authorization {
        Some(attr) => (attr.span, attr.value.as_str() == Some("NONE")),
        // REST methods require the attribute; a route without one has no authorizer.
        None => (
            ctx.header_span(),
            ctx.resource_type == "aws_apigatewayv2_route",
        ),
    };
    if !open {
        return;
    }
    let what = match route.as_str() {
        "" => format!("`{}` method", method.as_str().unwrap_or("")),
        key => format!("route `{key}`"),
    };
    out.report(
        ctx.source,
        span,
        &[("resource", &ctx.address()), ("what", &what)],
    );
}
