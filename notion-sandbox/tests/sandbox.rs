//! The sandbox's own tests: every rule it promises, checked over real HTTP on loopback.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use notion_sandbox::{Fault, Sandbox, SandboxConfig};
use serde_json::{json, Value};

const ZH_DB: &str = "2845c4eb-9526-8182-8ccf-000b14d4c431";
const ZH_DS: &str = "2845c4eb-9526-81d7-a1f0-000b2e6a9c10";
const EN_DS: &str = "6f825874-aa0b-4c1e-9d2f-3a4b5c6d7e8f";

struct Resp {
    status: u16,
    body: Value,
    headers: HashMap<String, String>,
}

struct Client {
    agent: ureq::Agent,
    base: String,
    token: Option<String>,
    version: Option<&'static str>,
}

impl Client {
    fn new(sb: &Sandbox) -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(20)))
            .build()
            .into();
        Client {
            agent,
            base: sb.base_url().to_string(),
            token: Some(sb.token()),
            version: Some("2025-09-03"),
        }
    }

    fn raw(&self, method: &str, path: &str, body: Option<&[u8]>) -> Result<Resp, ureq::Error> {
        let mut b = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            b = b.header("Authorization", format!("Bearer {t}"));
        }
        if let Some(v) = self.version {
            b = b.header("Notion-Version", v);
        }
        let mut resp = match body {
            Some(data) => self.agent.run(
                b.header("Content-Type", "application/json")
                    .body(data.to_vec())
                    .unwrap(),
            )?,
            None => self.agent.run(b.body(()).unwrap())?,
        };
        let headers = resp
            .headers()
            .iter()
            .map(|(k, v)| {
                (
                    k.as_str().to_ascii_lowercase(),
                    v.to_str().unwrap_or("").to_string(),
                )
            })
            .collect();
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string()?;
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Ok(Resp {
            status,
            body,
            headers,
        })
    }

    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Resp {
        let data = body.map(|b| serde_json::to_vec(&b).unwrap());
        self.raw(method, path, data.as_deref()).expect("transport")
    }

    fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None)
    }
    fn post(&self, path: &str, body: Value) -> Resp {
        self.call("POST", path, Some(body))
    }
    fn patch(&self, path: &str, body: Value) -> Resp {
        self.call("PATCH", path, Some(body))
    }
}

fn zh() -> Sandbox {
    Sandbox::start_builtin("zh").unwrap()
}

fn page_id_by_title(sb: &Sandbox, prefix: &str) -> String {
    sb.state()
        .find_page_by_title(prefix)
        .unwrap_or_else(|| panic!("no page {prefix}"))
        .id
        .clone()
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.body);
    assert_eq!(r.body["object"], "error", "{}", r.body);
    assert_eq!(r.body["status"], status);
    assert_eq!(r.body["code"], code, "{}", r.body);
    assert!(r.body["message"].as_str().is_some_and(|m| !m.is_empty()));
    assert!(r.body["request_id"].as_str().is_some_and(|m| m.len() == 36));
}

fn title_of(page: &Value, prop: &str) -> String {
    page["properties"][prop]["title"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["plain_text"].as_str().unwrap())
        .collect()
}

// ---------------------------------------------------------------- headers, auth, routing

#[test]
fn version_header_is_required_and_checked() {
    let sb = zh();
    let mut c = Client::new(&sb);
    c.version = None;
    assert_error(&c.get("/v1/users/me"), 400, "missing_version");
    c.version = Some("2021-01-01");
    assert_error(&c.get("/v1/users/me"), 400, "validation_error");
    c.version = Some("2022-06-28");
    assert_eq!(c.get("/v1/users/me").status, 200);
}

#[test]
fn bearer_token_is_checked() {
    let sb = zh();
    let mut c = Client::new(&sb);
    c.token = Some("ntn_wrong".into());
    let r = c.get("/v1/users/me");
    assert_error(&r, 401, "unauthorized");
    assert_eq!(r.body["message"], "API token is invalid.");
    c.token = None;
    assert_error(&c.get("/v1/users/me"), 401, "unauthorized");
}

#[test]
fn unknown_urls_are_invalid_request_url() {
    let sb = zh();
    let c = Client::new(&sb);
    let r = c.get("/v1/invalid");
    assert_error(&r, 400, "invalid_request_url");
    assert_eq!(r.body["message"], "Invalid request URL.");
    // The old database query does not exist under 2025-09-03.
    assert_error(
        &c.post(&format!("/v1/databases/{ZH_DB}/query"), json!({})),
        400,
        "invalid_request_url",
    );
}

#[test]
fn ids_with_or_without_dashes_and_unknown_ids() {
    let sb = zh();
    let c = Client::new(&sb);
    let compact = ZH_DS.replace('-', "");
    assert_eq!(
        c.get(&format!("/v1/data_sources/{compact}")).body["id"],
        ZH_DS
    );
    assert_eq!(
        c.get(&format!("/v1/data_sources/{}", ZH_DS.to_uppercase()))
            .status,
        200
    );
    let r = c.get("/v1/pages/00000000-0000-0000-0000-000000000000");
    assert_error(&r, 404, "object_not_found");
    assert!(r.body["message"]
        .as_str()
        .unwrap()
        .contains("shared with your integration"));
    assert!(r.body["additional_data"]["integration_id"].is_string());
    assert_error(&c.get("/v1/pages/not-an-id"), 400, "validation_error");
}

#[test]
fn unshared_databases_and_their_pages_are_not_found() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["databases"][0]["shared"] = json!(false);
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    assert_error(
        &c.get(&format!("/v1/databases/{ZH_DB}")),
        404,
        "object_not_found",
    );
    assert_error(
        &c.get(&format!("/v1/data_sources/{ZH_DS}")),
        404,
        "object_not_found",
    );
    assert_error(
        &c.post(&format!("/v1/data_sources/{ZH_DS}/query"), json!({})),
        404,
        "object_not_found",
    );
    let pid = page_id_by_title(&sb, "#003");
    assert_error(
        &c.patch(&format!("/v1/pages/{pid}"), json!({"properties": {}})),
        404,
        "object_not_found",
    );
}

/// An id of the wrong kind of object is a 400 in Notion, not a 404: "Provided ID … is a database, not a
/// page" (quoted by several public clients; ../shared/notion-reference/README.md, *Wrong kind of object*).
/// A linked database cannot be retrieved at all ("… is a linked database. Database retrievals do not
/// support linked databases.", quoted by dust-tt/dust#18188; developers.notion.com/reference/retrieve-a-database).
#[test]
fn wrong_kinds_of_object_and_linked_databases_are_400s() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    let linked = "0e0e0e0e-0e0e-4e0e-8e0e-0e0e0e0e0e0e";
    seed["databases"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": linked, "title": "view", "linked": true}));
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#003");
    let r = c.get(&format!("/v1/databases/{pid}"));
    assert_error(&r, 400, "validation_error");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains(&format!("Provided ID {pid} is a page, not a database")),
        "{}",
        r.body
    );
    let r = c.get(&format!("/v1/pages/{ZH_DB}"));
    assert_error(&r, 400, "validation_error");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("is a database, not a page"),
        "{}",
        r.body
    );
    let r = c.patch(&format!("/v1/pages/{ZH_DB}"), json!({"properties": {}}));
    assert_error(&r, 400, "validation_error");
    let r = c.get(&format!("/v1/databases/{linked}"));
    assert_error(&r, 400, "validation_error");
    assert!(
        r.body["message"]
            .as_str()
            .unwrap()
            .contains("is a linked database"),
        "{}",
        r.body
    );
    // Unknown ids stay 404s.
    assert_error(
        &c.get("/v1/databases/00000000-0000-0000-0000-000000000001"),
        404,
        "object_not_found",
    );
}

// ---------------------------------------------------------------- databases and data sources

#[test]
fn database_lists_data_sources_and_data_source_has_the_schema() {
    let sb = zh();
    let c = Client::new(&sb);
    let db = c.get(&format!("/v1/databases/{ZH_DB}")).body;
    assert_eq!(db["object"], "database");
    assert_eq!(db["data_sources"], json!([{"id": ZH_DS, "name": "工单"}]));
    assert!(db.get("properties").is_none());

    let ds = c.get(&format!("/v1/data_sources/{ZH_DS}")).body;
    assert_eq!(ds["object"], "data_source");
    assert_eq!(
        ds["parent"],
        json!({"type": "database_id", "database_id": ZH_DB})
    );
    let props = &ds["properties"];
    assert_eq!(props["标题"]["type"], "title");
    assert_eq!(props["标题"]["id"], "title");
    let status = &props["状态"];
    assert_eq!(status["type"], "status");
    let names: Vec<&str> = status["status"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["未开始", "进行中", "完成"]);
    let groups = status["status"]["groups"].as_array().unwrap();
    let group_names: Vec<&str> = groups.iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(group_names, ["To-do", "In progress", "Complete"]);
    let complete_ids = &groups[2]["option_ids"];
    let done_id = &status["status"]["options"][2]["id"];
    assert_eq!(complete_ids, &json!([done_id]));
    assert_eq!(props["日期"]["type"], "date");
    assert_eq!(props["Commit"]["type"], "url");
}

#[test]
fn english_seed_has_a_select_status_and_unique_ids() {
    let sb = Sandbox::start_builtin("en").unwrap();
    let c = Client::new(&sb);
    let ds = c.get(&format!("/v1/data_sources/{EN_DS}")).body;
    for (name, ty) in [
        ("Name", "title"),
        ("Status", "select"),
        ("Type", "select"),
        ("Priority", "select"),
        ("Notes", "rich_text"),
        ("ID", "unique_id"),
    ] {
        assert_eq!(ds["properties"][name]["type"], ty, "{name}");
    }
    assert_eq!(ds["properties"]["ID"]["unique_id"]["prefix"], "TASK");
    let q = c
        .post(
            &format!("/v1/data_sources/{EN_DS}/query"),
            json!({"filter": {"property": "ID", "unique_id": {"equals": 3}}}),
        )
        .body;
    let results = q["results"].as_array().unwrap();
    assert_eq!(results.len(), 1);
    assert_eq!(
        results[0]["properties"]["ID"]["unique_id"],
        json!({"prefix": "TASK", "number": 3})
    );
    assert_eq!(title_of(&results[0], "Name"), "Write onboarding docs");
}

fn two_source_seed() -> Value {
    json!({"databases": [{"id": "11111111111141118111111111111111", "title": "Multi", "data_sources": [
        {"id": "22222222222242228222222222222222", "name": "A", "properties": {"Name": {"type": "title"}}},
        {"id": "33333333333343338333333333333333", "name": "B", "properties": {"Name": {"type": "title"}}}
    ]}]})
}

#[test]
fn old_api_version_fails_on_databases_with_two_data_sources() {
    let sb = Sandbox::start(&two_source_seed(), SandboxConfig::default()).unwrap();
    let mut c = Client::new(&sb);
    let db = c.get("/v1/databases/11111111111141118111111111111111").body;
    assert_eq!(db["data_sources"].as_array().unwrap().len(), 2);
    c.version = Some("2022-06-28");
    let r = c.get("/v1/databases/11111111111141118111111111111111");
    assert_error(&r, 400, "validation_error");
    assert_eq!(
        r.body["additional_data"]["error_type"],
        "multiple_data_sources_for_database"
    );
    let r = c.post(
        "/v1/databases/11111111111141118111111111111111/query",
        json!({}),
    );
    assert_eq!(
        r.body["additional_data"]["error_type"],
        "multiple_data_sources_for_database"
    );
}

#[test]
fn old_api_version_queries_single_source_databases() {
    let sb = zh();
    let mut c = Client::new(&sb);
    c.version = Some("2022-06-28");
    let db = c.get(&format!("/v1/databases/{ZH_DB}")).body;
    assert_eq!(db["properties"]["状态"]["type"], "status");
    assert!(db.get("data_sources").is_none());
    let q = c
        .post(
            &format!("/v1/databases/{ZH_DB}/query"),
            json!({"page_size": 1}),
        )
        .body;
    assert_eq!(q["results"][0]["parent"]["type"], "database_id");
    assert_eq!(q["has_more"], true);
}

// ---------------------------------------------------------------- page writes

#[test]
fn page_update_changes_values_and_moves_last_edited_time() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#003");
    let before = c.get(&format!("/v1/pages/{pid}")).body;
    assert_eq!(
        before["parent"],
        json!({"type": "data_source_id", "data_source_id": ZH_DS, "database_id": ZH_DB})
    );
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {
            "标题": {"title": [{"text": {"content": "feat: 完成工单 #003 - 统一 MT5 工作目录"}}]},
            "状态": {"status": {"name": "进行中"}},
            "日期": {"date": {"start": "2026-01-02T10:00:00Z"}},
            "Commit": {"url": "https://github.com/acme/repo/commit/abc"}
        }}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let after = r.body;
    assert_eq!(
        title_of(&after, "标题"),
        "feat: 完成工单 #003 - 统一 MT5 工作目录"
    );
    assert_eq!(after["properties"]["状态"]["status"]["name"], "进行中");
    assert_eq!(
        after["properties"]["日期"]["date"]["start"],
        "2026-01-02T10:00:00Z"
    );
    assert_eq!(
        after["properties"]["Commit"]["url"],
        "https://github.com/acme/repo/commit/abc"
    );
    // Notion shows times rounded to the minute (../shared/notion-reference/README.md): an edit moves
    // last_edited_time to the current minute, never back.
    assert!(
        after["last_edited_time"].as_str().unwrap() >= before["last_edited_time"].as_str().unwrap()
    );
    assert!(after["last_edited_time"]
        .as_str()
        .unwrap()
        .ends_with(":00.000Z"));
    let again = c
        .patch(
            &format!("/v1/pages/{pid}"),
            json!({"properties": {"状态": {"status": {"name": "完成"}}}}),
        )
        .body;
    assert!(
        again["last_edited_time"].as_str().unwrap() >= after["last_edited_time"].as_str().unwrap()
    );
    // The state agrees.
    let state = sb.state();
    let page = state.page(&pid).unwrap();
    assert_eq!(
        state.page_property(page, "状态").unwrap()["status"]["name"],
        "完成"
    );
}

#[test]
fn properties_are_addressable_by_id_and_names_are_case_sensitive() {
    let sb = Sandbox::start_builtin("en").unwrap();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "Add rate limiter");
    let notes_id = sb.state().data_sources[EN_DS]
        .property("Notes")
        .unwrap()
        .id
        .clone();
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {notes_id.clone(): {"rich_text": [{"text": {"content": "by id"}}]}}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        r.body["properties"]["Notes"]["rich_text"][0]["plain_text"],
        "by id"
    );
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"notes": {"rich_text": []}}}),
    );
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.body["message"], "notes is not a property that exists.");
}

#[test]
fn unknown_property_is_rejected_and_nothing_is_written() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#004");
    let before = sb.state().page(&pid).unwrap().clone();
    // The seed team's bug: an English property name against a Chinese database.
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"状态": {"status": {"name": "完成"}}, "Status": {"status": {"name": "Done"}}}}),
    );
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.body["message"], "Status is not a property that exists.");
    let after = sb.state().page(&pid).unwrap().clone();
    assert_eq!(after.props, before.props);
    assert_eq!(after.last_edited_time, before.last_edited_time);
}

#[test]
fn select_payload_on_status_and_status_payload_on_select_are_rejected() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#005");
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"状态": {"select": {"name": "完成"}}}}),
    );
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.body["message"], "状态 is expected to be status.");

    let en = Sandbox::start_builtin("en").unwrap();
    let c = Client::new(&en);
    let pid = page_id_by_title(&en, "Add rate limiter");
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"Status": {"status": {"name": "Done"}}}}),
    );
    assert_error(&r, 400, "validation_error");
    assert_eq!(r.body["message"], "Status is expected to be select.");
}

#[test]
fn unknown_status_option_fails_but_unknown_select_option_is_created() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#006");
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"状态": {"status": {"name": "Done"}}}}),
    );
    assert_error(&r, 400, "validation_error");
    assert!(r.body["message"].as_str().unwrap().contains("Done"));

    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"类型": {"select": {"name": "perf"}}}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["类型"]["select"]["name"], "perf");
    let ds = c.get(&format!("/v1/data_sources/{ZH_DS}")).body;
    let opts: Vec<&str> = ds["properties"]["类型"]["select"]["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(opts.contains(&"perf"), "{opts:?}");
}

#[test]
fn size_limits_are_enforced_in_utf16_units() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#007");
    let path = format!("/v1/pages/{pid}");
    let ok = c.patch(
        &path,
        json!({"properties": {"备注": {"rich_text": [{"text": {"content": "字".repeat(2000)}}]}}}),
    );
    assert_eq!(ok.status, 200, "{}", ok.body);
    let long = c.patch(
        &path,
        json!({"properties": {"备注": {"rich_text": [{"text": {"content": "x".repeat(2001)}}]}}}),
    );
    assert_error(&long, 400, "validation_error");
    assert!(long.body["message"].as_str().unwrap().contains("2000"));
    // 1001 emoji are 2002 UTF-16 units.
    let emoji = c.patch(
        &path,
        json!({"properties": {"备注": {"rich_text": [{"text": {"content": "🎉".repeat(1001)}}]}}}),
    );
    assert_error(&emoji, 400, "validation_error");
    let items: Vec<Value> = (0..101)
        .map(|i| json!({"text": {"content": format!("{i}")}}))
        .collect();
    let many = c.patch(&path, json!({"properties": {"备注": {"rich_text": items}}}));
    assert_error(&many, 400, "validation_error");
    assert!(many.body["message"].as_str().unwrap().contains("101"));
    let url = c.patch(
        &path,
        json!({"properties": {"Commit": {"url": format!("https://x/{}", "a".repeat(2000))}}}),
    );
    assert_error(&url, 400, "validation_error");
}

#[test]
fn malformed_json_and_oversized_bodies() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#008");
    let r = c
        .raw(
            "PATCH",
            &format!("/v1/pages/{pid}"),
            Some(b"{\"properties\": {"),
        )
        .unwrap();
    assert_error(&r, 400, "invalid_json");
    let big = format!(
        "{{\"properties\": {{}}, \"pad\": \"{}\"}}",
        "x".repeat(600 * 1024)
    );
    let r = c
        .raw("PATCH", &format!("/v1/pages/{pid}"), Some(big.as_bytes()))
        .unwrap();
    assert_eq!(r.status, 413, "{}", r.body);
    assert_eq!(r.body["object"], "error");
}

#[test]
fn trashed_pages_cannot_be_edited_until_restored() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#009");
    let path = format!("/v1/pages/{pid}");
    assert_eq!(
        c.patch(&path, json!({"in_trash": true})).body["in_trash"],
        true
    );
    let r = c.patch(
        &path,
        json!({"properties": {"状态": {"status": {"name": "完成"}}}}),
    );
    assert_error(&r, 400, "validation_error");
    let q = c
        .post(
            &format!("/v1/data_sources/{ZH_DS}/query"),
            json!({"filter": {"property": "标题", "title": {"starts_with": "#009"}}}),
        )
        .body;
    assert_eq!(
        q["results"].as_array().unwrap().len(),
        0,
        "trashed pages are not in queries"
    );
    assert_eq!(
        c.patch(&path, json!({"in_trash": false})).body["in_trash"],
        false
    );
    assert_eq!(
        c.patch(
            &path,
            json!({"properties": {"状态": {"status": {"name": "完成"}}}})
        )
        .status,
        200
    );
}

#[test]
fn pages_are_created_under_a_data_source_or_a_database() {
    let sb = Sandbox::start_builtin("en").unwrap();
    let c = Client::new(&sb);
    let r = c.post("/v1/pages", json!({"parent": {"data_source_id": EN_DS}, "properties": {"Name": {"title": [{"text": {"content": "New one"}}]}}}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["ID"]["unique_id"]["number"], 21);
    assert_eq!(r.body["properties"]["Status"]["select"], Value::Null);
    let r = c.post(
        "/v1/pages",
        json!({"parent": {"database_id": "6f8258748fb84d328e423dbfff883005"}, "properties": {}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["ID"]["unique_id"]["number"], 22);
    let r = c.post("/v1/pages", json!({"properties": {}}));
    assert_error(&r, 400, "validation_error");
}

#[test]
fn new_pages_in_a_status_database_start_in_the_first_to_do_option() {
    let sb = zh();
    let c = Client::new(&sb);
    let r = c.post("/v1/pages", json!({"parent": {"type": "data_source_id", "data_source_id": ZH_DS}, "properties": {"标题": {"title": [{"text": {"content": "#100"}}]}}}));
    assert_eq!(r.body["properties"]["状态"]["status"]["name"], "未开始");
}

// ---------------------------------------------------------------- queries

fn query(c: &Client, ds: &str, body: Value) -> Value {
    let r = c.post(&format!("/v1/data_sources/{ds}/query"), body);
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

fn titles(q: &Value, prop: &str) -> Vec<String> {
    q["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| title_of(p, prop))
        .collect()
}

/// Whether Notion's `contains` ignores case is documented nowhere found: a seed (or
/// `NOTION_SANDBOX_TEXT_MATCHING`) makes the sandbox match case exactly, so the client is tested both ways.
#[test]
fn text_filters_match_case_exactly_when_the_seed_says_so() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["text_matching"] = json!("case-sensitive");
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let t = |f: Value| titles(&query(&c, ZH_DS, json!({"filter": f})), "标题");
    assert!(t(json!({"property": "标题", "title": {"contains": "git workflow"}})).is_empty());
    assert_eq!(
        t(json!({"property": "标题", "title": {"contains": "Git Workflow"}})),
        ["#002 - Git Workflow & CI/CD Pipeline Init"]
    );
}

#[test]
fn text_filters() {
    let sb = zh();
    let c = Client::new(&sb);
    let t = |f: Value| titles(&query(&c, ZH_DS, json!({"filter": f})), "标题");
    // contains is a substring match: "#04" finds "#042" — exact matching is the client's job.
    assert_eq!(
        t(json!({"property": "标题", "title": {"contains": "#04"}})),
        ["#042 - Exact Matching Guard"]
    );
    assert_eq!(
        t(json!({"property": "标题", "title": {"equals": "#012"}})),
        ["#012"]
    );
    assert_eq!(
        t(json!({"property": "标题", "title": {"starts_with": "#00"}})).len(),
        9
    );
    assert_eq!(
        t(json!({"property": "标题", "rich_text": {"contains": "git workflow"}})).len(),
        1,
        "case-insensitive"
    );
    assert_eq!(
        t(json!({"property": "备注", "rich_text": {"is_empty": true}})).len(),
        38
    );
    assert_eq!(
        t(json!({"property": "标题", "title": {"is_empty": true}})).len(),
        0
    );
}

#[test]
fn status_select_number_checkbox_and_unique_id_filters() {
    let sb = zh();
    let c = Client::new(&sb);
    let q = query(
        &c,
        ZH_DS,
        json!({"filter": {"property": "状态", "status": {"equals": "完成"}}}),
    );
    assert_eq!(q["results"].as_array().unwrap().len(), 4);
    let wrong = c.post(
        &format!("/v1/data_sources/{ZH_DS}/query"),
        json!({"filter": {"property": "状态", "select": {"equals": "完成"}}}),
    );
    assert_error(&wrong, 400, "validation_error");
    let unknown = c.post(
        &format!("/v1/data_sources/{ZH_DS}/query"),
        json!({"filter": {"property": "Status", "status": {"equals": "Done"}}}),
    );
    assert_error(&unknown, 400, "validation_error");

    let seed = json!({"databases": [{"data_sources": [{"id": "44444444444444448444444444444444", "properties": {
    "Name": {"type": "title"}, "Points": {"type": "number"}, "Ok": {"type": "checkbox"}, "Kind": {"type": "select", "options": ["a", "b"]},
    "Tags": {"type": "multi_select"}, "ID": {"type": "unique_id", "prefix": "T"}},
    "pages": [
        {"properties": {"Name": "one", "Points": 1, "Ok": true, "Kind": "a", "Tags": ["x"]}},
        {"properties": {"Name": "two", "Points": 2, "Ok": false, "Kind": "b", "Tags": ["x", "y"]}},
        {"properties": {"Name": "three", "Ok": true}}
    ]}]}]});
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let ds = "44444444444444448444444444444444";
    let t = |f: Value| titles(&query(&c, ds, json!({"filter": f})), "Name");
    assert_eq!(
        t(json!({"property": "Points", "number": {"greater_than": 1}})),
        ["two"]
    );
    assert_eq!(
        t(json!({"property": "Points", "number": {"is_empty": true}})),
        ["three"]
    );
    assert_eq!(
        t(json!({"property": "Ok", "checkbox": {"equals": true}})),
        ["one", "three"]
    );
    assert_eq!(
        t(json!({"property": "Kind", "select": {"equals": "b"}})),
        ["two"]
    );
    assert_eq!(
        t(json!({"property": "Tags", "multi_select": {"contains": "y"}})),
        ["two"]
    );
    assert_eq!(
        t(json!({"property": "ID", "unique_id": {"equals": 3}})),
        ["three"]
    );
}

#[test]
fn compound_filters_nest_two_levels_at_most() {
    let sb = zh();
    let c = Client::new(&sb);
    let two = json!({"or": [
        {"property": "标题", "title": {"starts_with": "#002"}},
        {"and": [{"property": "状态", "status": {"equals": "完成"}}, {"property": "标题", "title": {"contains": "EODHD"}}]}
    ]});
    assert_eq!(
        titles(&query(&c, ZH_DS, json!({"filter": two})), "标题").len(),
        2
    );
    let three =
        json!({"or": [{"and": [{"or": [{"property": "标题", "title": {"contains": "#"}}]}]}]});
    let r = c.post(
        &format!("/v1/data_sources/{ZH_DS}/query"),
        json!({"filter": three}),
    );
    assert_error(&r, 400, "validation_error");
}

#[test]
fn timestamp_filters_and_sorts() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#020");
    let edited = c
        .patch(
            &format!("/v1/pages/{pid}"),
            json!({"properties": {"状态": {"status": {"name": "完成"}}}}),
        )
        .body;
    let since = edited["last_edited_time"].as_str().unwrap();
    assert!(since.ends_with(":00.000Z"), "{since}");
    // Seeded rows were created a minute apart, the last one in this minute: the filter is by the minute.
    let q = query(
        &c,
        ZH_DS,
        json!({"filter": {"timestamp": "last_edited_time", "last_edited_time": {"on_or_after": since}}}),
    );
    let found = titles(&q, "标题");
    assert!(
        found.contains(&"#020 - Hyperparameter Search".to_string()),
        "{found:?}"
    );
    assert!(found.len() <= 3, "{found:?}");
    let q = query(
        &c,
        ZH_DS,
        json!({"sorts": [{"timestamp": "last_edited_time", "direction": "descending"}], "page_size": 1}),
    );
    assert_eq!(q["results"][0]["last_edited_time"], since);
    // Created a minute apart: each row its own created_time.
    let q = query(&c, ZH_DS, json!({}));
    let created: std::collections::HashSet<&str> = q["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["created_time"].as_str().unwrap())
        .collect();
    assert_eq!(created.len(), q["results"].as_array().unwrap().len());
    let q = query(
        &c,
        ZH_DS,
        json!({"sorts": [{"property": "标题", "direction": "descending"}], "page_size": 2}),
    );
    assert_eq!(
        titles(&q, "标题"),
        ["Untitled", "#067 - Bulk Resync & Repair"]
    );
    let q = query(
        &c,
        ZH_DS,
        json!({"filter": {"timestamp": "created_time", "created_time": {"before": "2000-01-01"}}}),
    );
    assert!(q["results"].as_array().unwrap().is_empty());
}

/// A CSV import creates thousands of rows in one minute, and Notion shows minutes: every row then has the
/// same `created_time` (../shared/notion-reference/README.md, *Timestamps are rounded to the minute*).
#[test]
fn rows_imported_in_one_minute_share_one_created_time() {
    let mut seed = many_pages_seed(250, None);
    seed["rows_per_minute"] = json!(20000);
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let ds = sb.state().data_sources.keys().next().unwrap().clone();
    let mut times = std::collections::HashSet::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut body = json!({"page_size": 100, "sorts": [{"timestamp": "created_time", "direction": "ascending"}]});
        if let Some(cur) = &cursor {
            body["start_cursor"] = json!(cur);
        }
        let q = query(&c, &ds, body);
        for r in q["results"].as_array().unwrap() {
            times.insert(r["created_time"].as_str().unwrap().to_string());
        }
        match q["next_cursor"].as_str() {
            Some(n) => cursor = Some(n.to_string()),
            None => break,
        }
    }
    assert_eq!(times.len(), 1, "{times:?}");
    assert!(times.iter().all(|t| t.ends_with(":00.000Z")));
    seed["rows_per_minute"] = json!(0);
    assert!(Sandbox::start(&seed, SandboxConfig::default()).is_err());
}

fn many_pages_seed(n: usize, cap: Option<usize>) -> Value {
    let pages: Vec<Value> = (1..=n)
        .map(|i| json!({"properties": {"Name": format!("#{i:05}")}}))
        .collect();
    let mut seed = json!({"databases": [{"data_sources": [{"id": "55555555555545558555555555555555", "properties": {"Name": {"type": "title"}}, "pages": pages}]}]});
    if let Some(cap) = cap {
        seed["query_row_cap"] = json!(cap);
    }
    seed
}

#[test]
fn pagination_with_cursors_and_page_size_limit() {
    let sb = Sandbox::start(&many_pages_seed(250, None), SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let ds = "55555555555545558555555555555555";
    let r = c.post(
        &format!("/v1/data_sources/{ds}/query"),
        json!({"page_size": 101}),
    );
    assert_error(&r, 400, "validation_error");
    let mut seen = vec![];
    let mut cursor = Value::Null;
    let mut requests = 0;
    loop {
        let mut body = json!({"page_size": 100});
        if !cursor.is_null() {
            body["start_cursor"] = cursor.clone();
        }
        let q = query(&c, ds, body);
        requests += 1;
        seen.extend(titles(&q, "Name"));
        if q["has_more"] == false {
            assert!(q["next_cursor"].is_null());
            break;
        }
        cursor = q["next_cursor"].clone();
    }
    assert_eq!(requests, 3);
    assert_eq!(seen.len(), 250);
    let mut dedup = seen.clone();
    dedup.dedup();
    assert_eq!(dedup.len(), 250);
    let bad = c.post(
        &format!("/v1/data_sources/{ds}/query"),
        json!({"start_cursor": "nope"}),
    );
    assert_error(&bad, 400, "validation_error");
}

#[test]
fn one_query_stops_at_the_row_cap_with_incomplete_status() {
    // The real cap is 10,000 rows; a seed can lower it so the test stays small.
    let sb = Sandbox::start(&many_pages_seed(260, Some(150)), SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let ds = "55555555555545558555555555555555";
    let first = query(&c, ds, json!({}));
    assert_eq!(first["has_more"], true);
    assert!(first.get("request_status").is_none());
    let second = query(&c, ds, json!({"start_cursor": first["next_cursor"]}));
    assert_eq!(second["results"].as_array().unwrap().len(), 50);
    assert_eq!(second["has_more"], false);
    assert_eq!(second["request_status"]["type"], "incomplete");
    // A created_time window past the last row seen reads the rest.
    let last_created =
        second["results"].as_array().unwrap().last().unwrap()["created_time"].clone();
    let rest = query(
        &c,
        ds,
        json!({"filter": {"timestamp": "created_time", "created_time": {"after": last_created}}}),
    );
    assert_eq!(rest["results"].as_array().unwrap().len(), 100);
    let rest2 = query(
        &c,
        ds,
        json!({"filter": {"timestamp": "created_time", "created_time": {"after": last_created}}, "start_cursor": rest["next_cursor"]}),
    );
    assert_eq!(rest2["results"].as_array().unwrap().len(), 10);
    assert_eq!(rest2["has_more"], false);
    assert_eq!(sb.state().query_row_cap, 150);
}

#[test]
fn filter_properties_trims_returned_properties() {
    let sb = zh();
    let c = Client::new(&sb);
    let status_id = sb.state().data_sources[ZH_DS]
        .property("状态")
        .unwrap()
        .id
        .clone();
    let r = c.call("POST", &format!("/v1/data_sources/{ZH_DS}/query?filter_properties[]=title&filter_properties[]={status_id}"), Some(json!({"page_size": 2})));
    assert_eq!(r.status, 200, "{}", r.body);
    let props = r.body["results"][0]["properties"].as_object().unwrap();
    let mut keys: Vec<&String> = props.keys().collect();
    keys.sort();
    assert_eq!(keys, ["标题", "状态"]);
    let r = c.call(
        "POST",
        &format!("/v1/data_sources/{ZH_DS}/query?filter_properties[]=nope"),
        Some(json!({})),
    );
    assert_error(&r, 400, "validation_error");
}

// ---------------------------------------------------------------- comments, users

#[test]
fn comments_are_created_and_listed() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#010");
    let r = c.post("/v1/comments", json!({"parent": {"page_id": pid}, "rich_text": [{"text": {"content": "git-notion: abc123"}}]}));
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["object"], "comment");
    let l = c.get(&format!("/v1/comments?block_id={pid}")).body;
    assert_eq!(
        l["results"][0]["rich_text"][0]["plain_text"],
        "git-notion: abc123"
    );
    assert_eq!(l["has_more"], false);
    assert_error(&c.get("/v1/comments"), 400, "validation_error");
}

/// Notion's comment list shows un-resolved comments only: "Retrieves a list of un-resolved Comment objects
/// from a page or block" (notion-openapi.json, `GET /v1/comments`). A person resolves a discussion in the
/// app; the sandbox's admin `POST /__sandbox/resolve` does the same.
#[test]
fn resolved_discussions_leave_the_comment_list() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#010");
    let first = c.post(
        "/v1/comments",
        json!({"parent": {"page_id": pid}, "rich_text": [{"text": {"content": "one"}}]}),
    );
    let reply = c.post("/v1/comments", json!({"discussion_id": first.body["discussion_id"], "rich_text": [{"text": {"content": "reply"}}]}));
    assert_eq!(reply.status, 200, "{}", reply.body);
    c.post(
        "/v1/comments",
        json!({"parent": {"page_id": pid}, "rich_text": [{"text": {"content": "two"}}]}),
    );
    let listed = |c: &Client| -> Vec<String> {
        c.get(&format!("/v1/comments?block_id={pid}")).body["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| {
                x["rich_text"][0]["plain_text"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    };
    assert_eq!(listed(&c), ["one", "reply", "two"]);
    let r = c.post(
        "/__sandbox/resolve",
        json!({"comment_id": first.body["id"]}),
    );
    assert_eq!(r.body["resolved"], 2, "the whole discussion: {}", r.body);
    assert_eq!(listed(&c), ["two"]);
    // The admin state still holds them, marked resolved.
    let state = sb.dump();
    let resolved: Vec<bool> = state["comments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["resolved"].as_bool().unwrap())
        .collect();
    assert_eq!(resolved, [true, true, false]);
    assert_eq!(sb.resolve_comments(&pid), 1);
    assert!(listed(&c).is_empty());
    assert_eq!(c.post("/__sandbox/resolve", json!({})).status, 400);
}

/// `DELETE /v1/comments/{id}` (Notion's API deletes comments since 2026: notion-sdk-js #703–#706): the
/// comment leaves the page, resolved or not, the answer is the comment; a second delete is a 404.
#[test]
fn comments_can_be_deleted_once() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#010");
    let one = c.post(
        "/v1/comments",
        json!({"parent": {"page_id": pid}, "rich_text": [{"text": {"content": "one"}}]}),
    );
    let id = one.body["id"].as_str().unwrap().to_string();
    sb.resolve_comments(&pid);
    let gone = c.call("DELETE", &format!("/v1/comments/{id}"), None);
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(gone.body["object"], "comment");
    assert_eq!(gone.body["id"], id.as_str());
    assert!(sb.dump()["comments"].as_array().unwrap().is_empty());
    let again = c.call("DELETE", &format!("/v1/comments/{id}"), None);
    assert_eq!(again.status, 404, "{}", again.body);
    assert_eq!(again.body["code"], "object_not_found");
}

/// Comments need their own capabilities, "Read comments" and "Insert comments"; content reads and
/// updates need theirs (developers.notion.com/reference/capabilities). Without one: 403
/// `restricted_resource`.
#[test]
fn endpoints_need_the_integrations_capabilities() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["capabilities"] = json!(["read_content"]);
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#010");
    assert_eq!(c.get(&format!("/v1/pages/{pid}")).status, 200);
    assert_error(
        &c.get(&format!("/v1/comments?block_id={pid}")),
        403,
        "restricted_resource",
    );
    assert_error(
        &c.post(
            "/v1/comments",
            json!({"parent": {"page_id": pid}, "rich_text": [{"text": {"content": "x"}}]}),
        ),
        403,
        "restricted_resource",
    );
    assert_error(
        &c.patch(&format!("/v1/pages/{pid}"), json!({"properties": {}})),
        403,
        "restricted_resource",
    );
    assert_eq!(c.get("/v1/users/me").status, 200);
    seed["capabilities"] = json!(["read_everything"]);
    assert!(Sandbox::start(&seed, SandboxConfig::default()).is_err());
}

/// What schemathesis found with Notion's OpenAPI description (tests/openapi.rs): bodies and parameters
/// Notion refuses are refused here too.
#[test]
fn malformed_parameters_found_by_schemathesis_are_400s() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#010");
    for bad in ["-1", "0", "101", "x"] {
        let r = c.get(&format!("/v1/comments?block_id={pid}&page_size={bad}"));
        assert_error(&r, 400, "validation_error");
    }
    assert_eq!(
        c.get(&format!("/v1/comments?block_id={pid}&page_size=5"))
            .status,
        200
    );
    for body in [
        json!({"in_trash": "yes"}),
        json!({"start_cursor": false}),
        json!({"unknown": 1}),
        json!({"filter": []}),
    ] {
        assert_error(
            &c.post(&format!("/v1/data_sources/{ZH_DS}/query"), body),
            400,
            "validation_error",
        );
    }
    for body in [
        json!({"cover": {"external": {"url": "https://x.invalid/a.png"}, "extra": 1}}),
        json!({"cover": {"type": {}, "external": {"url": "https://x.invalid/a.png"}}}),
        json!({"icon": {"emoji": 5}}),
        json!({"cover": "https://x.invalid/a.png"}),
    ] {
        assert_error(
            &c.patch(&format!("/v1/pages/{pid}"), body),
            400,
            "validation_error",
        );
    }
    // null removes a cover or an icon, as in Notion (ramnes/notion-sdk-py#219).
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"cover": null, "icon": {"emoji": "🚀"}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}

/// A wiki's data source returns data_source objects among its pages unless the body asks for
/// `"result_type": "page"` (notion-sdk-js types; ../shared/notion-reference/README.md, *Wiki databases*).
#[test]
fn a_wiki_query_returns_data_sources_among_pages() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["databases"][0]["data_sources"][0]["wiki"] = json!(true);
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let q = query(&c, ZH_DS, json!({}));
    let kinds: Vec<&str> = q["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["object"].as_str().unwrap())
        .collect();
    assert_eq!(kinds[0], "data_source");
    assert!(kinds[1..].iter().all(|k| *k == "page"));
    let q = query(&c, ZH_DS, json!({"result_type": "page"}));
    assert!(q["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["object"] == "page"));
}

#[test]
fn users_me_is_the_bot() {
    let sb = zh();
    let me = Client::new(&sb).get("/v1/users/me").body;
    assert_eq!(me["object"], "user");
    assert_eq!(me["type"], "bot");
    assert!(me["bot"]["workspace_name"].is_string());
}

// ---------------------------------------------------------------- rate limit, faults, log

#[test]
fn rate_limit_answers_429_with_retry_after_then_recovers() {
    let seed = notion_sandbox::seed::load("zh").unwrap();
    let sb = Sandbox::start(
        &seed,
        SandboxConfig {
            rps: Some(3.0),
            burst: 2,
            ..Default::default()
        },
    )
    .unwrap();
    let c = Client::new(&sb);
    assert_eq!(c.get("/v1/users/me").status, 200);
    assert_eq!(c.get("/v1/users/me").status, 200);
    let r = c.get("/v1/users/me");
    assert_error(&r, 429, "rate_limited");
    let wait: u64 = r.headers["retry-after"].parse().unwrap();
    assert!(wait >= 1);
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(c.get("/v1/users/me").status, 200);
    sb.set_rate_limit(None, 0);
    for _ in 0..20 {
        assert_eq!(c.get("/v1/users/me").status, 200);
    }
}

#[test]
fn sustained_rate_is_about_three_per_second() {
    let seed = notion_sandbox::seed::load("zh").unwrap();
    let sb = Sandbox::start(
        &seed,
        SandboxConfig {
            rps: Some(3.0),
            burst: 3,
            ..Default::default()
        },
    )
    .unwrap();
    let c = Client::new(&sb);
    let start = Instant::now();
    let mut ok = 0;
    while start.elapsed() < Duration::from_millis(2000) {
        if c.get("/v1/users/me").status == 200 {
            ok += 1;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    // burst 3 + 2 s × 3/s = 9, give or take a token.
    assert!((8..=10).contains(&ok), "{ok}");
}

/// Notion's request limits go beyond 3 requests/s: a per-connection budget per 60-second window and a
/// per-workspace limit whose `Retry-After` "can be longer than a minute", with a `rate_limit_reason`
/// (developers.notion.com/reference/request-limits; ../shared/notion-reference/README.md, *Rate limits are
/// more than 3 req/s*). Set through the admin endpoint as a client of the sandbox would.
#[test]
fn window_limits_answer_429_with_the_rest_of_the_window_and_a_reason() {
    let sb = zh();
    let c = Client::new(&sb);
    let r = c.post(
        "/__sandbox/rate_limit",
        json!({"windows": [{"requests": 3, "secs": 30}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    for _ in 0..3 {
        assert_eq!(c.get("/v1/users/me").status, 200);
    }
    let r = c.get("/v1/users/me");
    assert_error(&r, 429, "rate_limited");
    let wait: u64 = r.headers["retry-after"].parse().unwrap();
    assert!((29..=30).contains(&wait), "{wait}");
    assert_eq!(
        r.body["additional_data"]["rate_limit_reason"],
        "connection_window_limit"
    );
    // A workspace limit announces a wait longer than a minute.
    let r = c.post(
        "/__sandbox/rate_limit",
        json!({"windows": [{"requests": 0, "secs": 60, "retry_after": 180, "reason": "workspace_limit"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = c.get("/v1/users/me");
    assert_error(&r, 429, "rate_limited");
    assert_eq!(r.headers["retry-after"], "180");
    assert_eq!(
        r.body["additional_data"]["rate_limit_reason"],
        "workspace_limit"
    );
    // Off again.
    assert_eq!(c.post("/__sandbox/rate_limit", json!({})).status, 200);
    assert_eq!(c.get("/v1/users/me").status, 200);
    assert_eq!(
        c.post("/__sandbox/rate_limit", json!({"windows": "many"}))
            .status,
        400
    );
}

/// By default the sandbox meets a client with Notion's limits as a small plan has them: 180 requests a
/// 60-second window per connection (each token counted alone), and a workspace limit of 360 shared by
/// every connection whose `Retry-After` is longer than a minute.
#[test]
fn by_default_each_connection_has_a_window_budget_and_the_workspace_one_more() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["other_connections"] = json!(["ntn_second_connection", "ntn_third_connection"]);
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let first = Client::new(&sb);
    let mut second = Client::new(&sb);
    second.token = Some("ntn_second_connection".into());
    let mut third = Client::new(&sb);
    third.token = Some("ntn_third_connection".into());
    for _ in 0..180 {
        assert_eq!(first.get("/v1/users/me").status, 200);
    }
    let r = first.get("/v1/users/me");
    assert_error(&r, 429, "rate_limited");
    assert_eq!(
        r.body["additional_data"]["rate_limit_reason"],
        "connection_window_limit"
    );
    let wait: u64 = r.headers["retry-after"].parse().unwrap();
    assert!((55..=60).contains(&wait), "the rest of the window: {wait}");
    // Another connection has its own budget, until the workspace's (360 answered) runs out.
    for _ in 0..180 {
        assert_eq!(second.get("/v1/users/me").status, 200);
    }
    let r = third.get("/v1/users/me");
    assert_error(&r, 429, "rate_limited");
    assert_eq!(
        r.body["additional_data"]["rate_limit_reason"],
        "workspace_limit"
    );
    assert_eq!(r.headers["retry-after"], "90");
    // A token that is not one of the workspace's connections is still refused.
    let mut stranger = Client::new(&sb);
    stranger.token = Some("ntn_stranger".into());
    assert_error(&stranger.get("/v1/users/me"), 401, "unauthorized");
}

/// The workspace's people (seed `users`): `GET /v1/users` lists them (then the bot), a page at a time;
/// a people property takes users of the workspace only, answers each as the whole user, and filters by
/// user id.
#[test]
fn people_are_listed_assigned_and_filtered() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["users"] = json!([
        {"id": "0a0a0a0a-0000-4000-8000-00000000000a", "name": "Ada", "email": "ada@example.com"},
        {"name": "Bo", "email": "bo@example.com"}
    ]);
    seed["databases"][0]["data_sources"][0]["properties"]["负责人"] = json!({"type": "people"});
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let first = c.get("/v1/users?page_size=2");
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(
        first.body["results"][0]["person"]["email"],
        "ada@example.com"
    );
    assert_eq!(first.body["results"][1]["name"], "Bo");
    assert_eq!(first.body["has_more"], true);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_string();
    let rest = c.get(&format!("/v1/users?page_size=2&start_cursor={cursor}"));
    assert_eq!(rest.body["results"][0]["type"], "bot");
    assert_eq!(rest.body["has_more"], false);

    let page = sb.state().find_page_by_title("#005").unwrap().id.clone();
    let set = |id: &str| {
        c.patch(
            &format!("/v1/pages/{page}"),
            json!({"properties": {"负责人": {"people": [{"object": "user", "id": id}]}}}),
        )
    };
    assert_error(
        &set("0c0c0c0c-0000-4000-8000-00000000000c"),
        400,
        "validation_error",
    );
    let r = set("0a0a0a0a00004000800000000000000a");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["负责人"]["people"][0]["name"], "Ada");
    let found = query(
        &c,
        ZH_DS,
        json!({"filter": {"property": "负责人", "people": {"contains": "0a0a0a0a-0000-4000-8000-00000000000a"}}}),
    );
    assert_eq!(found["results"].as_array().unwrap().len(), 1);
    let empty = query(
        &c,
        ZH_DS,
        json!({"filter": {"property": "负责人", "people": {"is_empty": true}}}),
    );
    assert!(empty["results"].as_array().unwrap().len() > 30);
}

#[test]
fn injected_statuses_for_the_next_n_requests_on_a_path() {
    let sb = zh();
    let c = Client::new(&sb);
    sb.inject(Fault::status(503).times(2).path("/v1/pages"));
    sb.inject(Fault::rate_limited(2).times(1).path("/v1/users"));
    let pid = page_id_by_title(&sb, "#011");
    assert_error(
        &c.get(&format!("/v1/pages/{pid}")),
        503,
        "service_unavailable",
    );
    let r = c.get("/v1/users/me");
    assert_error(&r, 429, "rate_limited");
    assert_eq!(r.headers["retry-after"], "2");
    assert_error(
        &c.get(&format!("/v1/pages/{pid}")),
        503,
        "service_unavailable",
    );
    assert_eq!(c.get(&format!("/v1/pages/{pid}")).status, 200);
    for (status, code) in [
        (500, "internal_server_error"),
        (502, "bad_gateway"),
        (504, "gateway_timeout"),
        (529, "service_overload"),
    ] {
        sb.inject(Fault::status(status).times(1));
        assert_error(&c.get("/v1/users/me"), status, code);
    }
}

#[test]
fn injected_latency_html_truncated_json_and_dropped_connections() {
    let sb = zh();
    let c = Client::new(&sb);
    sb.inject(Fault::latency_ms(300).times(1));
    let t = Instant::now();
    assert_eq!(c.get("/v1/users/me").status, 200);
    assert!(t.elapsed() >= Duration::from_millis(300));

    sb.inject(Fault::html(502).times(1));
    let r = c.get("/v1/users/me");
    assert_eq!(r.status, 502);
    assert!(r.body.as_str().unwrap().contains("<html>"));
    assert_eq!(r.headers["content-type"], "text/html");

    let pid = page_id_by_title(&sb, "#013");
    sb.inject(Fault::truncated_json().times(1).method("PATCH"));
    let r = c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"状态": {"status": {"name": "完成"}}}}),
    );
    assert_eq!(r.status, 200);
    assert!(r.body.is_string(), "not JSON: {}", r.body);
    // The write happened even though the answer was cut: clients must be idempotent.
    let state = sb.state();
    assert_eq!(
        state
            .page_property(state.page(&pid).unwrap(), "状态")
            .unwrap()["status"]["name"],
        "完成"
    );
    drop(state);

    sb.inject(Fault::drop_connection().times(1));
    assert!(
        c.raw("GET", "/v1/users/me", None).is_err(),
        "a dropped connection is a transport error"
    );
    assert_eq!(c.get("/v1/users/me").status, 200, "the next request works");
}

#[test]
fn request_log_records_everything_but_the_token() {
    let sb = zh();
    let c = Client::new(&sb);
    let pid = page_id_by_title(&sb, "#014");
    c.patch(
        &format!("/v1/pages/{pid}"),
        json!({"properties": {"状态": {"status": {"name": "进行中"}}}}),
    );
    c.post(
        &format!("/v1/data_sources/{ZH_DS}/query?filter_properties[]=title"),
        json!({}),
    );
    let log = sb.requests();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].method, "PATCH");
    assert_eq!(log[0].path, format!("/v1/pages/{pid}"));
    assert_eq!(log[0].status, 200);
    assert_eq!(
        log[0].json()["properties"]["状态"]["status"]["name"],
        "进行中"
    );
    assert_eq!(log[0].header("notion-version"), Some("2025-09-03"));
    assert_eq!(log[0].header("authorization"), Some("<redacted>"));
    assert_eq!(log[1].query, "filter_properties[]=title");
    assert_eq!(sb.writes().len(), 1);
    let dump = serde_json::to_string(&log).unwrap() + &sb.dump().to_string();
    assert!(!dump.contains(&sb.token()));
}

#[test]
fn admin_endpoints_script_faults_and_read_state() {
    let sb = zh();
    let c = Client::new(&sb);
    let r = c.post(
        "/__sandbox/faults",
        json!({"type": "status", "status": 503, "times": 1}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(c.get("/v1/users/me").status, 503);
    assert_eq!(c.get("/v1/users/me").status, 200);
    let state = c.get("/__sandbox/state").body;
    assert_eq!(state["databases"][0]["data_sources"][0]["id"], ZH_DS);
    assert!(state["pages"].as_array().unwrap().len() > 30);
    let log = c.get("/__sandbox/log").body;
    assert_eq!(
        log.as_array().unwrap().len(),
        2,
        "admin calls are not logged"
    );
}

// ---------------------------------------------------------------- recordings of the real API

/// Differences in shape (keys and JSON types) between a recorded real response and the sandbox's.
fn shape_diff(expected: &Value, actual: &Value, path: &str, out: &mut Vec<String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                match a.get(k) {
                    None => out.push(format!("{path}.{k}: missing")),
                    Some(av) => shape_diff(ev, av, &format!("{path}.{k}"), out),
                }
            }
            for k in a.keys() {
                if !e.contains_key(k) {
                    out.push(format!("{path}.{k}: extra"));
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            if e.len() != a.len() {
                out.push(format!("{path}: {} items, sandbox {}", e.len(), a.len()));
            }
            for (i, (ev, av)) in e.iter().zip(a).enumerate() {
                shape_diff(ev, av, &format!("{path}[{i}]"), out);
            }
        }
        (e, a) => {
            let kind = |v: &Value| match v {
                Value::Null => "null",
                Value::Bool(_) => "bool",
                Value::Number(_) => "number",
                Value::String(_) => "string",
                Value::Array(_) => "array",
                Value::Object(_) => "object",
            };
            if kind(e) != kind(a) {
                out.push(format!("{path}: {} vs sandbox {}", kind(e), kind(a)));
            } else if let (Value::String(es), Value::String(as_)) = (e, a) {
                let id_like = |s: &str| notion_sandbox::ids::normalize(s).is_some();
                if id_like(es) && !(id_like(as_) && as_.contains('-') == es.contains('-')) {
                    out.push(format!("{path}: id format {es} vs sandbox {as_}"));
                }
            }
        }
    }
}

/// Learns which sandbox ids stand for which recorded ids, walking both bodies side by side.
fn learn_ids(expected: &Value, actual: &Value, map: &mut HashMap<String, String>) {
    match (expected, actual) {
        (Value::Object(e), Value::Object(a)) => {
            for (k, ev) in e {
                if let Some(av) = a.get(k) {
                    learn_ids(ev, av, map);
                }
            }
        }
        (Value::Array(e), Value::Array(a)) => {
            for (ev, av) in e.iter().zip(a) {
                learn_ids(ev, av, map);
            }
        }
        (Value::String(e), Value::String(a)) => {
            if let (Some(e), Some(a)) = (
                notion_sandbox::ids::normalize(e),
                notion_sandbox::ids::normalize(a),
            ) {
                map.entry(e).or_insert(a);
            }
        }
        _ => {}
    }
}

fn rewrite_ids(text: &str, map: &HashMap<String, String>) -> String {
    let mut out = text.to_string();
    for (rec, sb) in map {
        out = out
            .replace(rec, sb)
            .replace(&rec.replace('-', ""), &sb.replace('-', ""));
    }
    out
}

#[test]
fn sandbox_answers_recorded_requests_in_the_recorded_shapes() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recordings");
    let mut checked = 0;
    let mut problems = vec![];
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().to_string();
        // Block children (page content) are outside what git-notion touches.
        if name == "iterate_paginated_api.yaml" {
            continue;
        }
        let cassette: Value =
            serde_yaml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
        let seed = json!({"integration": "notion-sdk-py", "pages": [{"id": "393abc1eedcd80f3813be205934558c6", "title": "Root"}]});
        let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
        let mut c = Client::new(&sb);
        let mut ids = HashMap::new();
        ids.insert(
            "393abc1e-edcd-80f3-813b-e205934558c6".to_string(),
            "393abc1e-edcd-80f3-813b-e205934558c6".to_string(),
        );
        for (i, it) in cassette["interactions"]
            .as_array()
            .unwrap()
            .iter()
            .enumerate()
        {
            let req = &it["request"];
            let method = req["method"].as_str().unwrap();
            let uri = req["uri"]
                .as_str()
                .unwrap()
                .strip_prefix("https://api.notion.com")
                .unwrap();
            let expected_status = it["response"]["status"]["code"].as_u64().unwrap() as u16;
            let expected: Value =
                serde_json::from_str(it["response"]["body"]["string"].as_str().unwrap()).unwrap();
            c.token = if expected_status == 401 {
                Some("ntn_revoked".into())
            } else {
                Some(sb.token())
            };
            let body = req["body"]
                .as_str()
                .filter(|b| !b.is_empty())
                .map(|b| rewrite_ids(b, &ids));
            let r = c
                .raw(
                    method,
                    &rewrite_ids(uri, &ids),
                    body.as_deref().map(str::as_bytes),
                )
                .unwrap();
            let at = format!("{name}#{i} {method} {uri}");
            if r.status != expected_status {
                problems.push(format!(
                    "{at}: status {} vs recorded {expected_status}: {}",
                    r.status, r.body
                ));
                continue;
            }
            let mut diff = vec![];
            shape_diff(&expected, &r.body, "", &mut diff);
            problems.extend(diff.into_iter().map(|d| format!("{at}: {d}")));
            learn_ids(&expected, &r.body, &mut ids);
            checked += 1;
        }
    }
    assert!(
        problems.is_empty(),
        "{} shape differences:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(checked >= 40, "only {checked} interactions checked");
}

// ---------------------------------------------------------------- the binary a person runs

#[test]
fn binary_prints_url_and_token_and_serves_the_seed() {
    use std::io::{BufRead, BufReader};
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_notion-sandbox"))
        .args(["--port", "0", "--seed", "en", "--rps", "3"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut url = None;
    let mut token = None;
    for _ in 0..10 {
        let line = lines.next().unwrap().unwrap();
        if let Some(u) = line.trim().strip_prefix("export GIT_NOTION_API_URL=") {
            url = Some(u.to_string());
        }
        if let Some(t) = line.trim().strip_prefix("export NOTION_TOKEN=") {
            token = Some(t.to_string());
        }
        if url.is_some() && token.is_some() {
            break;
        }
    }
    let (url, token) = (url.expect("url printed"), token.expect("token printed"));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .proxy(None)
        .build()
        .into();
    let mut r = agent
        .post(format!("{url}/v1/data_sources/{EN_DS}/query"))
        .header("Authorization", format!("Bearer {token}"))
        .header("Notion-Version", "2025-09-03")
        .send_json(json!({"page_size": 5}))
        .unwrap();
    let status = r.status().as_u16();
    let body: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["results"].as_array().unwrap().len(), 5);
}

#[test]
fn binary_refuses_a_missing_seed_with_exit_2() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_notion-sandbox"))
        .args(["--port", "0", "--seed", "/nonexistent/seed.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read seed") && err.contains("built-in seeds: zh, en"),
        "{err}"
    );
}

#[test]
fn the_default_cap_is_notions_ten_thousand_rows() {
    let sb = Sandbox::start(&many_pages_seed(10_050, None), SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let ds = "55555555555545558555555555555555";
    let mut cursor = Value::Null;
    let mut rows = 0;
    let mut requests = 0;
    let last = loop {
        let mut body = json!({});
        if !cursor.is_null() {
            body["start_cursor"] = cursor.clone();
        }
        let q = query(&c, ds, body);
        requests += 1;
        rows += q["results"].as_array().unwrap().len();
        if q["has_more"] == false {
            break q;
        }
        cursor = q["next_cursor"].clone();
    };
    assert_eq!(rows, 10_000);
    assert_eq!(requests, 100);
    assert_eq!(last["request_status"]["type"], "incomplete");
}

// ---------------------------------------------------------------- API versions after 2025-09-03

/// 2026-03-11 renamed `archived` to `in_trash` in requests and answers (its upgrade guide): a request that
/// still says `archived` is a validation error, and no answer carries it; 2025-09-03 still has both.
#[test]
fn from_2026_03_11_archived_is_refused_and_never_answered() {
    let sb = zh();
    let mut c = Client::new(&sb);
    let page = query(&c, ZH_DS, json!({"page_size": 1}))["results"][0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let old = c.get(&format!("/v1/pages/{page}")).body;
    assert_eq!(old["archived"], false);
    for v in ["2026-03-11", "2026-12-01"] {
        c.version = Some(v);
        let r = c.patch(&format!("/v1/pages/{page}"), json!({"archived": false}));
        assert_eq!(r.status, 400, "{v}: {}", r.body);
        assert_eq!(r.body["code"], "validation_error");
        assert!(r.body["message"]
            .as_str()
            .unwrap()
            .contains("body.archived"));
        let r = c.post(
            &format!("/v1/data_sources/{ZH_DS}/query"),
            json!({"archived": false}),
        );
        assert_eq!(r.status, 400, "{v}: {}", r.body);
        let p = c.get(&format!("/v1/pages/{page}")).body;
        assert_eq!(p["in_trash"], false, "{v}");
        assert!(p.get("archived").is_none(), "{v}: {p:#}");
        let q = query(&c, ZH_DS, json!({"page_size": 3}));
        assert!(!q.to_string().contains("\"archived\""), "{v}");
    }
}

/// 2026-12-01: a query answers each page with its title alone unless `filter_properties` names more;
/// earlier versions answer every property.
#[test]
fn from_2026_12_01_a_query_answers_titles_unless_properties_are_named() {
    let sb = zh();
    let mut c = Client::new(&sb);
    let count = |c: &Client, path: &str| {
        let r = c.post(path, json!({"page_size": 1}));
        assert_eq!(r.status, 200, "{}", r.body);
        r.body["results"][0]["properties"]
            .as_object()
            .map(|o| o.len())
            .unwrap()
    };
    let path = format!("/v1/data_sources/{ZH_DS}/query");
    let all = count(&c, &path);
    assert!(all > 2, "{all}");
    c.version = Some("2026-12-01");
    assert_eq!(count(&c, &path), 1, "the title alone");
    let named = format!("{path}?filter_properties[]=title&filter_properties[]=%E7%8A%B6%E6%80%81");
    let r = c.post(&named, json!({"page_size": 1}));
    assert_eq!(r.status, 200, "{}", r.body);
    let props = r.body["results"][0]["properties"].as_object().unwrap();
    assert!(props.contains_key("状态"), "{props:?}");
    let s = c.post(
        "/v1/search",
        json!({"filter": {"property": "object", "value": "page"}}),
    );
    assert_eq!(s.status, 200, "{}", s.body);
    let rows: Vec<&Value> = s.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["parent"]["type"] == "data_source_id")
        .collect();
    assert!(!rows.is_empty());
    for r in rows {
        let props = r["properties"].as_object().unwrap();
        assert_eq!(props.len(), 1, "{props:?}");
    }
}

/// A wiki's child data sources come back among its rows in their place by `created_time` (here the last
/// three items, after every row), take places in a page of results and in the row cap, and can end a
/// page; `result_type: "page"` leaves them out.
#[test]
fn a_wikis_child_data_sources_are_interleaved_by_created_time() {
    let mut seed = notion_sandbox::seed::load("zh").unwrap();
    seed["databases"][0]["data_sources"][0]["wiki_children"] = json!(3);
    let sb = Sandbox::start(&seed, SandboxConfig::default()).unwrap();
    let c = Client::new(&sb);
    let kinds = |body: Value| -> Vec<String> {
        let mut out = vec![];
        let mut body = body;
        loop {
            let q = query(&c, ZH_DS, body.clone());
            for r in q["results"].as_array().unwrap() {
                out.push(r["object"].as_str().unwrap().to_string());
            }
            match q["next_cursor"].as_str() {
                Some(next) => body["start_cursor"] = json!(next),
                None => return out,
            }
        }
    };
    let sorted =
        json!({"page_size": 7, "sorts": [{"timestamp": "created_time", "direction": "ascending"}]});
    let all = kinds(sorted.clone());
    let n = all.len();
    assert_eq!(&all[n - 3..], ["data_source"; 3], "{all:?}");
    assert!(all[..n - 3].iter().all(|k| k == "page"));
    let mut pages_only = sorted.clone();
    pages_only["result_type"] = json!("page");
    assert_eq!(kinds(pages_only).len(), n - 3);
    // A filter on a property matches pages only; one on created_time matches data sources too.
    let last = query(
        &c,
        ZH_DS,
        json!({"page_size": 1, "sorts": [{"timestamp": "created_time", "direction": "descending"}]}),
    );
    assert_eq!(last["results"][0]["object"], "data_source");
    let t = last["results"][0]["created_time"].as_str().unwrap();
    let recent = query(
        &c,
        ZH_DS,
        json!({"filter": {"timestamp": "created_time", "created_time": {"on_or_after": t}}}),
    );
    assert_eq!(recent["results"].as_array().unwrap().len(), 1, "{recent:#}");
}

/// Since 2026 Notion's API adds status options with `PATCH /v1/data_sources/{id}` ("new options are
/// assigned to the To-do group"); options named by name or id are kept; a name that is no property yet
/// adds one of the type given; other schema changes are not modelled and refused, and a refused body
/// changes nothing.
#[test]
fn a_data_source_patch_adds_status_options_to_the_todo_group() {
    let sb = zh();
    let c = Client::new(&sb);
    let ds = c.get(&format!("/v1/data_sources/{ZH_DS}")).body;
    let status = &ds["properties"]["状态"]["status"];
    let mut options: Vec<Value> = status["options"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| json!({"name": o["name"]}))
        .collect();
    let had = options.len();
    options.push(json!({"name": "已验收"}));
    let r = c.patch(
        &format!("/v1/data_sources/{ZH_DS}"),
        json!({"properties": {"状态": {"status": {"options": options}}}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let status = &r.body["properties"]["状态"]["status"];
    assert_eq!(status["options"].as_array().unwrap().len(), had + 1);
    let added = status["options"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["name"] == "已验收")
        .unwrap();
    assert!(status["groups"][0]["option_ids"]
        .as_array()
        .unwrap()
        .contains(&added["id"]));
    let r = c.patch(
        &format!("/v1/data_sources/{ZH_DS}"),
        json!({"properties": {"状态": {"name": "Status"}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    let r = c.patch(
        &format!("/v1/data_sources/{ZH_DS}"),
        json!({"properties": {"没有": {"status": {"options": []}}}}),
    );
    assert_eq!(r.status, 400, "{}", r.body);
    // A property that does not exist yet is added with its type.
    let r = c.patch(
        &format!("/v1/data_sources/{ZH_DS}"),
        json!({"properties": {"完成日期": {"date": {}}, "提交": {"url": {}}}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["properties"]["完成日期"]["type"], "date");
    assert_eq!(r.body["properties"]["提交"]["type"], "url");
    assert!(r.body["properties"]["标题"].is_object(), "the others kept");
}
