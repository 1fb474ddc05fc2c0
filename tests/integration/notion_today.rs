//! Notion as it answers in late 2026 (issue 28): the edge in front of it, its newer error codes.

use notion_sandbox::Fault;

use crate::util::*;

/// Cloudflare's edge answers some requests with an HTML page of its own and a `cf-ray` id (notion-sdk-js
/// #751): a 403 from the edge is not a capability the integration lacks, and nothing is lost; an edge 5xx
/// is retried as Notion's own.
#[test]
fn an_edge_page_is_named_as_the_edge_not_as_a_missing_capability() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(Fault::html(403).method("PATCH"));
    let out = w.run(&["sync"]);
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "kept for later: {err}");
    assert!(
        err.contains("Notion's edge (Cloudflare) answered 403"),
        "{err}"
    );
    assert!(err.contains("cf-ray "), "{err}");
    assert!(!err.contains("lacks a capability"), "{err}");
    assert!(!err.contains("Capabilities"), "{err}");
    // A hook's update meets the same edge: it waits, it is not refused.
    w.commit("fix: #006 again");
    w.wait_for_flusher();
    let v = w.outbox();
    // (Both commits: the first, made without a hook, is queued by the tips' catch-up.)
    assert_eq!(v["pending"].as_array().map(Vec::len), Some(2), "{v:#}");
    let reason = v["pending"][0]["last_error"].as_str().unwrap_or_default();
    assert!(
        reason.contains("an HTML page titled \"403 Forbidden\""),
        "{reason}"
    );
    assert_eq!(v["failed"].as_array().map(Vec::len), Some(0), "{v:#}");
    w.sb.clear_faults();
    let out = w.run(&["flush"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let status = w.prop_by_title("#006");
    assert_eq!(status, "进行中", "delivered once the edge lets it through");
    // An edge 5xx is retried; one that lasts names the edge and its cf-ray.
    w.commit_without_hook("docs: #007 runbook");
    w.sb.inject(Fault::html(502).method("PATCH").times(1));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "retried: {}", stderr(&out));
    w.commit_without_hook("docs: #005 more");
    w.sb.inject(Fault::html(502).method("PATCH"));
    let out = w.run(&["sync"]);
    let err = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("(502 from the edge in front of Notion)"),
        "{err}"
    );
    assert!(err.contains("[cf-ray "), "{err}");
}

/// `service_overload` (529) and `gateway_timeout` (504), Notion's newer 5xx codes: retried, and named by
/// their code when they last.
#[test]
fn service_overload_and_gateway_timeout_are_retried_and_named() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(Fault::status(529).times(2));
    w.sb.inject(Fault::status(504).path("/v1/data_sources").times(1));
    let out = w.run(&["sync"]);
    assert!(out.status.success(), "{}", stderr(&out));
    w.commit_without_hook("fix: #007 start");
    w.sb.inject(Fault::status(529));
    let out = w.run(&["sync"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("(529 service_overload)"), "{err}");
    assert!(err.contains("[request_id "), "{err}");
}

/// `invalid_beta` (a 400 Notion added in 2026) is not blamed on the configuration's property names.
#[test]
fn invalid_beta_is_not_blamed_on_the_configuration() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    w.sb.inject(
        Fault::respond(
            400,
            serde_json::json!({"object": "error", "status": 400, "code": "invalid_beta",
                "message": "The requested beta feature is not enabled.", "request_id": "r-beta"}),
        )
        .method("PATCH"),
    );
    let out = w.run(&["sync"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(text.contains("invalid_beta"), "{text}");
    assert!(
        text.contains("beta feature this request asked for"),
        "{text}"
    );
    assert!(!text.contains("Check the property names"), "{text}");
}
