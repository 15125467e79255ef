//! SEC024: XML parsers told to expand entities, so a document can read local files or
//! reach internal hosts (XXE). lxml's `XMLParser(resolve_entities=True)` or
//! `no_network=False`; `xml.sax`/`xml.dom.pulldom` parsers with the external-entities
//! feature set on; libxmljs's `parseXml(..., { noent: true })`. Parsers left at their
//! defaults and defusedxml are not reported.

use audit_core::Span;
use audit_model::code::Call;
use audit_model::code::nodes::KindName;

use super::{arguments, positional_arguments, text_of};
use crate::checks::reliability::{Key, object_key, span};
use crate::checks::{Check, CodeContext, Emit};

pub const CHECK: Check = Check::Code {
    anchors: &[
        "resolve_entities",
        "no_network",
        "feature_external",
        "noent",
    ],
    run: check,
};

fn check(ctx: &CodeContext<'_>, out: &mut Emit<'_>) {
    for call in ctx.semantics().calls() {
        let Some(function) = call.qualified_name.as_deref() else {
            if let Some((span, what)) = sax_feature(ctx, call) {
                out.report(ctx.source, span, &[("what", what)]);
            }
            continue;
        };
        let found = if ctx.grammar.is_javascript_family() {
            libxmljs(ctx, call, function)
        } else {
            lxml(ctx, call, function)
        };
        if let Some((span, what)) = found {
            out.report(ctx.source, span, &[("what", what)]);
        }
    }
}

fn lxml(ctx: &CodeContext<'_>, call: &Call, function: &str) -> Option<(Span, &'static str)> {
    let text = ctx.source.text.as_str();
    if !matches!(
        function,
        "lxml.etree.XMLParser" | "lxml.etree.XMLPullParser" | "lxml.etree.iterparse"
    ) {
        return None;
    }
    let value = |name: &str| {
        call.keyword(name)
            .map(|k| (k, &text[k.value.start..k.value.end]))
    };
    if let Some((keyword, "True")) = value("resolve_entities") {
        return Some((
            keyword.span,
            "`resolve_entities=True` expands the document's entities, external ones included",
        ));
    }
    if let Some((keyword, "False")) = value("no_network") {
        return Some((
            keyword.span,
            "`no_network=False` lets the document's external entities and DTDs fetch URLs",
        ));
    }
    None
}

/// `parser.setFeature(feature_external_ges, True)` on a SAX or pulldom parser.
fn sax_feature(ctx: &CodeContext<'_>, call: &Call) -> Option<(Span, &'static str)> {
    let text = ctx.source.text.as_str();
    let callee = &text[call.callee.start..call.callee.end];
    if !callee.ends_with(".setFeature") {
        return None;
    }
    let args = positional_arguments(ctx, call.arguments);
    let [feature, value] = args.as_slice() else {
        return None;
    };
    let feature = ctx
        .semantics()
        .qualified_name(*feature, text)
        .unwrap_or_else(|| text_of(text, *feature).to_string());
    (matches!(
        feature.rsplit('.').next(),
        Some("feature_external_ges" | "feature_external_pes")
    ) && matches!(value.kind_name(), "true")
        || text_of(text, *value) == "1")
        .then_some((
            call.span,
            "the SAX parser's external-entities feature is turned on",
        ))
}

/// libxmljs's `parseXml(xml, { noent: true })`.
fn libxmljs(ctx: &CodeContext<'_>, call: &Call, function: &str) -> Option<(Span, &'static str)> {
    let (module, name) = function.rsplit_once('.')?;
    if !matches!(module, "libxmljs" | "libxmljs2")
        || !matches!(name, "parseXml" | "parseXmlString" | "parseXmlAsync")
    {
        return None;
    }
    let args = arguments(ctx, call.arguments);
    let options = args.get(1)?;
    match object_key(ctx, *options, &["noent"]) {
        Key::Set { pair, value } if value.kind_name() == "true" => Some((
            span(pair),
            "`noent: true` substitutes the document's entities, external ones included",
        )),
        _ => None,
    }
}
