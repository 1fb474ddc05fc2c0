//! 1,000 sequential page updates against the sandbox on loopback, beside the same 1,000 requests to a
//! bare tiny_http server that answers `{}` (the floor: HTTP and JSON encoding only). Run with
//! `cargo bench -p notion-sandbox`. Prints both times and their ratio, measured in one run.

use std::time::{Duration, Instant};

use notion_sandbox::Sandbox;
use serde_json::json;

const N: usize = 1000;

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .timeout_global(Some(Duration::from_secs(10)))
        .build()
        .into()
}

fn sandbox_run() -> Duration {
    // 1,000 writes: the sandbox's own cost is measured, not its window budgets.
    let sb = Sandbox::start(
        &notion_sandbox::seed::load("zh").unwrap(),
        notion_sandbox::SandboxConfig::without_limits(),
    )
    .unwrap();
    let token = sb.token();
    let ids: Vec<String> = sb
        .state()
        .pages
        .iter()
        .filter(|p| matches!(p.parent, notion_sandbox::model::Parent::DataSource(_)))
        .map(|p| p.id.clone())
        .collect();
    let a = agent();
    let start = Instant::now();
    for i in 0..N {
        let id = &ids[i % ids.len()];
        let status = ["未开始", "进行中", "完成"][i % 3];
        let body = json!({"properties": {"状态": {"status": {"name": status}}, "标题": {"title": [{"text": {"content": format!("#{i:03} bench")}}]}}});
        let r = a
            .patch(format!("{}/v1/pages/{id}", sb.base_url()))
            .header("Authorization", format!("Bearer {token}"))
            .header("Notion-Version", "2025-09-03")
            .send_json(&body)
            .unwrap();
        assert_eq!(r.status(), 200);
        let _ = r.into_body().read_to_string().unwrap();
    }
    let t = start.elapsed();
    assert_eq!(sb.writes().len(), N);
    t
}

fn baseline_run() -> Duration {
    let server = std::sync::Arc::new(tiny_http::Server::http("127.0.0.1:0").unwrap());
    let addr = server.server_addr().to_ip().unwrap();
    let s = server.clone();
    let worker = std::thread::spawn(move || {
        while let Ok(mut req) = s.recv() {
            let mut body = Vec::new();
            let _ = req.as_reader().read_to_end(&mut body);
            let _ = req.respond(tiny_http::Response::from_string("{}"));
        }
    });
    let a = agent();
    let start = Instant::now();
    for i in 0..N {
        let body = json!({"properties": {"状态": {"status": {"name": "完成"}}, "标题": {"title": [{"text": {"content": format!("#{i:03} bench")}}]}}});
        let r = a
            .patch(format!("http://{addr}/v1/pages/x"))
            .send_json(&body)
            .unwrap();
        let _ = r.into_body().read_to_string().unwrap();
    }
    let t = start.elapsed();
    server.unblock();
    let _ = worker.join();
    t
}

fn main() {
    // Alternate the two, three rounds each, and keep the best of each (noise only adds time).
    let mut best_sb = Duration::MAX;
    let mut best_base = Duration::MAX;
    for _ in 0..3 {
        best_base = best_base.min(baseline_run());
        best_sb = best_sb.min(sandbox_run());
    }
    println!("{N} sequential PATCH /v1/pages over keep-alive loopback (best of 3):");
    println!(
        "  notion-sandbox:       {:>7.1} ms  ({:.0} µs/request)",
        best_sb.as_secs_f64() * 1e3,
        best_sb.as_secs_f64() * 1e6 / N as f64
    );
    println!(
        "  bare tiny_http floor: {:>7.1} ms  ({:.0} µs/request)",
        best_base.as_secs_f64() * 1e3,
        best_base.as_secs_f64() * 1e6 / N as f64
    );
    println!(
        "  ratio sandbox / floor: {:.2}",
        best_sb.as_secs_f64() / best_base.as_secs_f64()
    );
}
