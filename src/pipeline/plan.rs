//! The plan: per ticket, only the properties whose value differs (current → new); and applying it, which
//! sends exactly those PATCHes. An up-to-date page costs no write.

use serde_json::{json, Map, Value};

use crate::config::TitlePolicy;
use crate::notion::client::{ApiError, Client};
use crate::notion::comments;
use crate::notion::schema::{Binding, Kind};
use crate::notion::values;
use crate::pipeline::lookup::{Found, PageState};
use crate::pipeline::{Reason, ReasonKind};
use crate::rules::commit_list::List;
use crate::rules::desired::{Comment, Desired};
use crate::rules::tickets::{title_has_token, TicketKey};

/// One property to change.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// The property's name.
    pub property: String,
    /// Its value now, as text.
    pub from: String,
    /// Its new value, as text.
    pub to: String,
    /// The new value as Notion takes it (shaped by the property's type).
    pub value: Value,
    /// This change writes the commit link: the evidence that the linked commit's comments, and those of
    /// its ancestors, are posted (see [`Entry::check_comments`]). It is held back while a comment fails.
    pub links_commit: bool,
}

/// What the plan says of one ticket.
#[derive(Debug, Clone)]
pub enum Outcome {
    /// The page differs: these properties change.
    Update {
        /// The ticket's page as it is.
        page: Box<PageState>,
        /// Only the properties that differ.
        changes: Vec<Change>,
    },
    /// The page already shows what history says.
    UpToDate {
        /// The ticket's page.
        page: Box<PageState>,
    },
    /// No page carries the key.
    NotFound,
    /// No page carries the key, and `[create] missing` makes one with these properties.
    Create {
        /// The new page's properties (its title carries the key).
        changes: Vec<Change>,
    },
    /// Several pages carry the key; none is changed.
    Ambiguous(Vec<PageState>),
    /// Looking the page up failed.
    Failed(ApiError),
}

/// One ticket of the plan, and what applying it did.
#[derive(Debug, Clone)]
pub struct Entry {
    /// What history says of the ticket.
    pub desired: Desired,
    /// What the plan does about it.
    pub outcome: Outcome,
    /// After apply: None (not applied or nothing to do), Some(Ok) written, Some(Err) refused.
    pub applied: Option<Result<(), ApiError>>,
    /// Comments to post: those of `desired.comments` not on the page yet.
    pub comments: Vec<Comment>,
    /// After apply: how many of `comments` were posted.
    pub comments_posted: usize,
    /// Reading or posting comments failed.
    pub comment_error: Option<ApiError>,
    /// Texts the page lists more than once (racing clones): the write keeps the earliest of each.
    pub duplicated: Vec<String>,
    /// After apply: duplicate comments deleted.
    pub comments_deleted: usize,
    /// What the commits asked for that cannot be done (`#status` naming no option); the rest is done.
    pub notes: Vec<String>,
    /// After apply: the page was created (`[create] missing`); `outcome` then holds it.
    pub created: bool,
    /// The database's name (`name`, else its data source's), for `--json`.
    pub database: String,
}

impl Entry {
    /// An entry not applied yet, with nothing to comment.
    pub fn new(desired: Desired, outcome: Outcome, notes: Vec<String>) -> Entry {
        Entry {
            desired,
            outcome,
            applied: None,
            comments: vec![],
            comments_posted: 0,
            comment_error: None,
            duplicated: vec![],
            comments_deleted: 0,
            notes,
            created: false,
            database: String::new(),
        }
    }

    /// The page this entry found, if one.
    pub fn page(&self) -> Option<&PageState> {
        match &self.outcome {
            Outcome::Update { page, .. } | Outcome::UpToDate { page } => Some(page),
            _ => None,
        }
    }

    /// Works out which of the commits' comments are still to post. Two kinds of evidence say a comment
    /// is posted, both outside any local file, so a fresh clone or CI agrees:
    /// - **Notion's page links a commit that has it in its history** (`is_ancestor(comment's commit,
    ///   linked commit)`): comments are posted before the link is written, and the link is held back while
    ///   a comment fails, so a page linking commit L has the comments of L and its ancestors. This holds
    ///   after a person resolves them, which hides them from Notion's comment list.
    /// - **The page lists a git-notion comment with the same text** (one request, only when a comment is
    ///   left): covers rebased and cherry-picked commits, whose ids changed.
    pub fn check_comments(&mut self, client: &Client, is_ancestor: Ancestry<'_>) {
        let Some(page) = self.page() else { return };
        let linked = linked_commit(&page.commit_url).map(str::to_owned);
        let wanted: Vec<Comment> = self
            .desired
            .comments
            .iter()
            .filter(|c| !linked.as_deref().is_some_and(|l| is_ancestor(&c.commit, l)))
            .cloned()
            .collect();
        if wanted.is_empty() {
            return;
        }
        let page_id = page.id.clone();
        match comments::posted(client, &page_id) {
            Ok(posted) => {
                self.comments = unposted(&wanted, &posted);
                self.duplicated = duplicated(&wanted, &posted);
            }
            Err(e) => self.comment_error = Some(e),
        }
    }

    /// Writes this entry: its comments first, then its PATCH. While a comment fails, the commit link is
    /// left out of the PATCH (the status, title and date still go), so the link never claims a comment
    /// that is not on the page; the comment error keeps the update pending.
    pub fn write(&mut self, client: &Client, binding: &Binding) {
        if matches!(self.outcome, Outcome::Create { .. }) && !self.create(client, binding) {
            return;
        }
        let Some(page_id) = self.page().map(|p| p.id.clone()) else {
            return;
        };
        if self.comment_error.is_none() {
            for c in &self.comments {
                match comments::post(client, &page_id, marked(c)) {
                    Ok(()) => self.comments_posted += 1,
                    Err(e) => {
                        self.comment_error = Some(e);
                        break;
                    }
                }
            }
        }
        // Another clone may have posted the same comment at the same instant: both keep the earliest.
        let mut texts: Vec<String> = self.comments[..self.comments_posted]
            .iter()
            .map(|c| comments::body_text(&c.text))
            .collect();
        texts.extend(self.duplicated.iter().cloned());
        if !texts.is_empty() {
            match comments::keep_earliest(client, &page_id, &texts) {
                Ok(n) => self.comments_deleted += n,
                Err(e) => self.comment_error = self.comment_error.take().or(Some(e)),
            }
        }
        let held = self.comment_error.is_some();
        let Outcome::Update { changes, .. } = &self.outcome else {
            return;
        };
        let sent: Vec<Change> = changes
            .iter()
            .filter(|c| !(held && c.links_commit))
            .cloned()
            .collect();
        if sent.is_empty() {
            return;
        }
        let op = format!("update the page of {}", self.desired.key);
        let result = client
            .patch(&op, &format!("/v1/pages/{page_id}"), &patch_body(&sent))
            .and_then(|answer| match unshown_write(&answer, &page_id, &sent) {
                None => Ok(()),
                Some(detail) => Err(ApiError::BadResponse { op, detail }),
            });
        self.applied = Some(result);
    }
}

impl Entry {
    /// Makes the page of a `Create` entry (`POST /v1/pages` in the data source). Its commit link waits,
    /// as on an update, until the comments are posted: the outcome becomes the page with that change
    /// still to write (or up to date). False when Notion refused (`applied` says why).
    fn create(&mut self, client: &Client, binding: &Binding) -> bool {
        let Outcome::Create { changes } = &self.outcome else {
            return true;
        };
        let waits = !self.comments.is_empty();
        let (held, now): (Vec<Change>, Vec<Change>) = changes.iter().cloned().partition(|c| {
            waits
                && binding
                    .commit_url
                    .as_ref()
                    .is_some_and(|p| p.name == c.property)
        });
        let body = json!({
            "parent": {"type": "data_source_id", "data_source_id": binding.data_source_id},
            "properties": patch_body(&now)["properties"],
        });
        let op = format!("create a page for {}", self.desired.key);
        match client.post_create(&op, "/v1/pages", &body) {
            Ok(answer) if answer["object"] == "page" && answer["id"].is_string() => {
                let page = Box::new(PageState::from_json(&answer, binding));
                let held: Vec<Change> = held
                    .into_iter()
                    .map(|c| Change {
                        links_commit: true,
                        ..c
                    })
                    .collect();
                self.outcome = if held.is_empty() {
                    Outcome::UpToDate { page }
                } else {
                    Outcome::Update {
                        page,
                        changes: held,
                    }
                };
                self.created = true;
                true
            }
            Ok(_) => {
                let detail = "the answer to the create is not a page, so nothing shows it was made; run it again (a page made meanwhile is found first)".to_string();
                self.applied = Some(Err(ApiError::BadResponse { op, detail }));
                false
            }
            Err(e) => {
                self.applied = Some(Err(e));
                false
            }
        }
    }
}

/// Why Notion's answer to a PATCH does not show the write (None when it does): the answer must be the
/// page (`object`, the same id) carrying each written property with the written value. A proxy or captive
/// portal answering `200 {}` wrote nothing, so the update stays pending with this reason.
pub fn unshown_write(answer: &Value, page_id: &str, sent: &[Change]) -> Option<String> {
    if answer["object"] != "page" {
        return Some(format!(
            "the answer to the write is not a page (object {}), so nothing shows it was written; the update is kept",
            answer["object"].to_string().chars().take(40).collect::<String>()
        ));
    }
    let same = answer["id"]
        .as_str()
        .and_then(crate::id::normalize)
        .zip(crate::id::normalize(page_id))
        .is_some_and(|(a, b)| a == b);
    if !same {
        return Some(
            "the answer to the write is another page than the one written; the update is kept"
                .to_string(),
        );
    }
    for c in sent {
        let Some(kind) = c.value.as_object().and_then(|m| m.keys().next()) else {
            continue;
        };
        let kind = crate::notion::schema::Kind::from_name(kind);
        let shown = &answer["properties"][&c.property];
        if shown.is_null() {
            return Some(format!(
                "the answer to the write does not carry the property {:?}; the update is kept",
                c.property
            ));
        }
        let now = values::text(shown, &kind);
        let agrees = match kind {
            Kind::Title | Kind::RichText => loose(&now) == loose(&c.to),
            Kind::Date => now.get(..10) == c.to.get(..10),
            _ => now == c.to,
        };
        if !agrees {
            return Some(format!(
                "the answer to the write shows {:?} = {:?}, not the {:?} written; the update is kept",
                c.property, now, c.to
            ));
        }
    }
    None
}

/// Text as compared after a write: Notion may trim white space and drop control characters.
fn loose(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a commit is another one or one of its ancestors, in this repository.
pub type Ancestry<'a> = &'a dyn Fn(&str, &str) -> bool;

/// A desired comment as the Notion side posts it.
fn marked(c: &Comment) -> comments::Marked<'_> {
    comments::Marked {
        text: &c.text,
        commit: &c.commit,
        commit_url: c.commit_url.as_deref(),
    }
}

/// The texts of `wanted` the page lists more than once.
pub fn duplicated(wanted: &[Comment], posted: &[String]) -> Vec<String> {
    let mut out: Vec<String> = vec![];
    for c in wanted {
        let text = comments::body_text(&c.text);
        if posted.iter().filter(|p| **p == text).count() > 1 && !out.contains(&text) {
            out.push(text);
        }
    }
    out
}

/// The comments of `wanted` that are not on the page yet (by text), each once.
pub fn unposted(wanted: &[Comment], posted: &[String]) -> Vec<Comment> {
    let mut out: Vec<Comment> = vec![];
    for c in wanted {
        let text = comments::body_text(&c.text);
        if !posted.contains(&text) && !out.iter().any(|o| comments::body_text(&o.text) == text) {
            out.push(c.clone());
        }
    }
    out
}

/// Titles that only hold a place: empty, "Untitled", or the key plus a placeholder word.
pub fn is_placeholder(title: &str, key: &TicketKey) -> bool {
    let mut rest = title.to_string();
    if let TicketKey::Token(token) = key {
        rest = rest.replace(token.as_str(), " ");
    }
    let rest: String = rest
        .chars()
        .filter(|c| !(c.is_whitespace() || c.is_ascii_punctuation() || "：、，。…—–".contains(*c)))
        .collect::<String>()
        .to_lowercase();
    const WORDS: [&str; 13] = [
        "",
        "untitled",
        "tbd",
        "tba",
        "todo",
        "wip",
        "placeholder",
        "newticket",
        "无标题",
        "未命名",
        "待定",
        "新工单",
        "标题",
    ];
    WORDS.contains(&rest.as_str())
}

/// The title a commit gives a ticket: its subject, with the key in front when the page is found by its
/// title and the subject does not carry the key (so that the page stays findable).
fn new_title(desired: &Desired, binding: &Binding) -> Option<String> {
    // An empty subject (`git commit --allow-empty-message`) gives no title, never a bare key.
    let subject = desired.title.as_deref()?.trim();
    if subject.is_empty() {
        return None;
    }
    Some(match &desired.key {
        TicketKey::Token(token)
            if binding.lookup.kind == Kind::Title && !title_has_token(subject, token) =>
        {
            format!("{token} {subject}")
        }
        _ => subject.to_string(),
    })
}

/// No page carries the key: one to create (`[create] missing`, a key of the ticket patterns), else not
/// found.
fn nothing_found(binding: &Binding, desired: &Desired) -> Outcome {
    match &desired.key {
        TicketKey::Token(token) if binding.creates(token) => Outcome::Create {
            changes: new_page(binding, desired, token),
        },
        _ => Outcome::NotFound,
    }
}

/// The properties of a page made for `token`: its title (the commit subject with the key, or the key
/// alone), the key in the lookup property when that is not the title, then status, date and link as for
/// any page.
fn new_page(binding: &Binding, desired: &Desired, token: &str) -> Vec<Change> {
    let empty = PageState {
        id: String::new(),
        url: String::new(),
        title: String::new(),
        status: String::new(),
        date: String::new(),
        commit_url: String::new(),
        assignee: String::new(),
        commits: String::new(),
        commit_links: vec![],
        release: String::new(),
        pull_request: String::new(),
        data_source_id: None,
        edited: None,
    };
    let title = match new_title(desired, binding) {
        Some(t) if title_has_token(&t, token) || binding.lookup.kind != Kind::Title => t,
        Some(t) => format!("{token} {t}"),
        None => token.to_string(),
    };
    let mut out = vec![];
    let mut push = |prop: &crate::notion::schema::Property, to: String| {
        if let Some(value) = values::write(prop, &to) {
            out.push(Change {
                property: prop.name.clone(),
                from: String::new(),
                to,
                value,
                links_commit: false,
            });
        }
    };
    push(&binding.title, values::stored_text(&title));
    if binding.lookup != binding.title {
        push(&binding.lookup, token.to_string());
    }
    out.extend(
        changes(binding, TitlePolicy::Never, desired, &empty, false)
            .into_iter()
            .filter(|c| c.property != binding.title.name),
    );
    out
}

/// The commit id a commit link ends with (`…/commit/<40 or 64 hex digits>`), if it does.
pub fn linked_commit(url: &str) -> Option<&str> {
    let last = url.trim_end_matches('/').rsplit('/').next()?;
    let last = last.split(['?', '#']).next()?;
    (matches!(last.len(), 40 | 64) && last.bytes().all(|b| b.is_ascii_hexdigit())).then_some(last)
}

/// Whether the page already shows a later commit than `desired`'s, so that writing its date, link or
/// title would move the page backwards (a retried older update, or another clone that has not fetched the
/// newer commit yet). The linked commit decides when this repository has it (`time_of` gives its
/// committer time); a commit made after the page's last edit is newer than anything it shows; otherwise
/// the page's date decides: a later day, or the same day from a commit this repository does not know, is
/// kept (nothing here can tell it is older; a replay after a fetch can).
pub fn page_is_newer(
    page: &PageState,
    desired: &Desired,
    time_of: &dyn Fn(&str) -> Option<i64>,
) -> bool {
    let linked = linked_commit(&page.commit_url);
    if let Some(id) = linked {
        if id.eq_ignore_ascii_case(&desired.commit.id) {
            return false;
        }
        if let Some(t) = time_of(id) {
            return t > desired.commit.time;
        }
    }
    // Committed after the page was last edited: whatever the page shows is older. Notion shows
    // `last_edited_time` rounded to the minute, so only a commit past the end of that minute counts.
    if page.edited.is_some_and(|e| desired.commit.time >= e + 60) {
        return false;
    }
    let page_day = page.date.get(..10).unwrap_or_default();
    if page_day.is_empty() || desired.date.is_empty() {
        return false;
    }
    page_day > desired.date.as_str() || (linked.is_some() && page_day == desired.date.as_str())
}

/// A commit's committer time, when the repository has the commit.
pub type CommitTime<'a> = &'a dyn Fn(&str) -> Option<i64>;

/// The properties of `page` that differ from `desired`. `keep_commit`: the page shows a later commit
/// (see [`page_is_newer`]), so its title, date and link stay.
pub fn changes(
    binding: &Binding,
    policy: TitlePolicy,
    desired: &Desired,
    page: &PageState,
    keep_commit: bool,
) -> Vec<Change> {
    let mut out = vec![];
    let mut push = |prop: &crate::notion::schema::Property, from: &str, to: String| {
        if let Some(value) = values::write(prop, &to) {
            let links_commit = binding.commit_url.as_ref() == Some(prop);
            out.push(Change {
                property: prop.name.clone(),
                from: from.to_string(),
                to,
                value,
                links_commit,
            });
        }
    };
    if let (true, false, Some(title)) = (
        binding.write_title,
        keep_commit,
        new_title(desired, binding),
    ) {
        let title = values::stored_text(&title);
        let wanted = match policy {
            TitlePolicy::Never => false,
            TitlePolicy::FillPlaceholder => is_placeholder(&page.title, &desired.key),
            TitlePolicy::Always => true,
        };
        if wanted && !title.is_empty() && title != page.title {
            push(&binding.title, &page.title, title);
        }
    }
    if let (Some(p), Some(status)) = (&binding.status, &desired.status) {
        // Never move backwards on its own: Complete stays Complete when a later commit only mentions it.
        let backwards = match (
            binding.status_rank(&page.status),
            binding.status_rank(status),
        ) {
            (Some(now), Some(new)) => new < now,
            _ => false,
        };
        if *status != page.status && (!backwards || desired.status_exact) {
            push(p, &page.status, status.clone());
        }
    }
    // The first author, only while nobody is assigned (never replaced).
    if let (Some(p), Some(user)) = (&binding.assignee, assignee(binding, desired)) {
        if page.assignee.is_empty() {
            push(p, "", user.to_string());
        }
    }
    if !keep_commit {
        if let Some(p) = &binding.date {
            if !desired.date.is_empty() && desired.date != page.date {
                push(p, &page.date, desired.date.clone());
            }
        }
        if let (Some(p), Some(url)) = (&binding.commit_url, &desired.commit_url) {
            if *url != page.commit_url {
                push(p, &page.commit_url, url.clone());
            }
        }
    }
    // The list of commits is a union: a page showing a later commit still gains this one's line.
    out.extend(commits_change(binding, desired, page));
    out.extend(release_change(binding, desired, page));
    out.extend(pull_request_change(binding, desired, page));
    out
}

/// The pull request's link (`git notion review`), when it differs.
fn pull_request_change(binding: &Binding, desired: &Desired, page: &PageState) -> Option<Change> {
    let (p, url) = (
        binding.pull_request.as_ref()?,
        desired.pull_request.as_ref()?,
    );
    (*url != page.pull_request).then_some(())?;
    Some(Change {
        property: p.name.clone(),
        from: page.pull_request.clone(),
        to: url.clone(),
        value: values::write(p, url)?,
        links_commit: false,
    })
}

/// The release property: a multi_select gains each release that shipped the ticket (none taken away);
/// a select or text shows the latest, replacing only nothing or one of the ticket's earlier releases (a
/// value this repository does not know, typed or from a tag not fetched yet, stays).
fn release_change(binding: &Binding, desired: &Desired, page: &PageState) -> Option<Change> {
    let p = binding.release.as_ref()?;
    let latest = desired.releases.last()?;
    let to = if p.kind == Kind::MultiSelect {
        let mut names: Vec<&str> = page.release.split(", ").filter(|n| !n.is_empty()).collect();
        for r in &desired.releases {
            if !names.contains(&r.as_str()) {
                names.push(r);
            }
        }
        names.join(", ")
    } else if page.release.is_empty() || desired.releases.contains(&page.release) {
        latest.clone()
    } else {
        return None;
    };
    if to == page.release {
        return None;
    }
    Some(Change {
        property: p.name.clone(),
        from: page.release.clone(),
        value: values::write(p, &to)?,
        to,
        links_commit: false,
    })
}

/// The commits property as the union of what the page lists and what history says, when that differs.
fn commits_change(binding: &Binding, desired: &Desired, page: &PageState) -> Option<Change> {
    let p = binding.commits.as_ref()?;
    let shown = List::parse(&page.commits, &page.commit_links);
    let list = List::merge(&shown, &desired.commits, desired.commits_older);
    let to = list.text();
    (to != page.commits).then(|| Change {
        property: p.name.clone(),
        from: page.commits.clone(),
        to,
        value: values::linked_rich_text(&list.parts()),
        links_commit: false,
    })
}

/// The Notion user the first author is (`[people]` first, then the workspace's users by email).
fn assignee<'b>(binding: &'b Binding, desired: &Desired) -> Option<&'b str> {
    let email = desired.author.as_ref()?.trim().to_lowercase();
    binding.people.get(&email).map(String::as_str)
}

/// Why the first author was not assigned to a page nobody is assigned to: no user has that email.
fn assignee_note(binding: &Binding, desired: &Desired, outcome: &Outcome) -> Option<String> {
    let page = match outcome {
        Outcome::Update { page, .. } | Outcome::UpToDate { page } => page,
        _ => return None,
    };
    let (Some(p), Some(email)) = (&binding.assignee, &desired.author) else {
        return None;
    };
    (page.assignee.is_empty() && assignee(binding, desired).is_none()).then(|| {
        format!(
            "{}: {:?} left empty: the author {email} is not among the workspace's users git-notion can read (map it in [people], e.g. \"{email}\" = \"<user id>\")",
            desired.key, p.name
        )
    })
}

/// The plan entry of one ticket from its lookup. An exact status (`#status Name`) is checked against the
/// status options here (any case; the schema's spelling is written); one that names no option is left out
/// with a note. `time_of` gives a commit's time when this repository has it (None: the caller may move a
/// page's commit backwards, as `git notion-replay --reset` does).
pub fn entry(
    binding: &Binding,
    policy: TitlePolicy,
    mut desired: Desired,
    found: Result<Found, ApiError>,
    time_of: Option<CommitTime<'_>>,
) -> Entry {
    let mut notes = vec![];
    if let (true, Some(name)) = (desired.status_exact, desired.status.clone()) {
        match (&binding.status, binding.status_option(&name)) {
            (Some(_), Some(option)) => desired.status = Some(option.to_string()),
            (Some(p), None) => {
                notes.push(format!(
                    "{}: `#status {}` names no option of {:?} (options: {}); the status was left as it is",
                    desired.key,
                    name.escape_debug(),
                    p.name,
                    binding.status_options()
                ));
                desired.status = None;
            }
            (None, _) => {
                notes.push(format!(
                    "{}: `#status {}` needs `[properties] status` in the configuration",
                    desired.key,
                    name.escape_debug()
                ));
                desired.status = None;
            }
        }
    }
    let outcome = match found {
        Ok(Found::Page(page)) => {
            let keep = time_of.is_some_and(|t| page_is_newer(&page, &desired, t));
            let changes = changes(binding, policy, &desired, &page, keep);
            if changes.is_empty() {
                Outcome::UpToDate { page }
            } else {
                Outcome::Update { page, changes }
            }
        }
        Ok(Found::Nothing) => nothing_found(binding, &desired),
        Ok(Found::Ambiguous(pages)) => Outcome::Ambiguous(pages),
        Err(e) => Outcome::Failed(e),
    };
    notes.extend(assignee_note(binding, &desired, &outcome));
    Entry::new(desired, outcome, notes)
}

/// Plans `entry` again from its page as it is now (`fresh`, read after the plan): a value another clone
/// wrote since the plan read the page is compared, never overwritten by an older one. Only entries that
/// found a page are re-planned. Returns whether the plan of this entry changed.
pub fn replan(
    binding: &Binding,
    policy: TitlePolicy,
    entry: &mut Entry,
    fresh: PageState,
    time_of: Option<CommitTime<'_>>,
) -> bool {
    if entry.page().is_none_or(|p| p.id != fresh.id) {
        return false;
    }
    let keep = time_of.is_some_and(|t| page_is_newer(&fresh, &entry.desired, t));
    let changes = changes(binding, policy, &entry.desired, &fresh, keep);
    let before = match &entry.outcome {
        Outcome::Update { changes, .. } => changes.clone(),
        _ => vec![],
    };
    let changed = before != changes;
    entry.outcome = if changes.is_empty() {
        Outcome::UpToDate {
            page: Box::new(fresh),
        }
    } else {
        Outcome::Update {
            page: Box::new(fresh),
            changes,
        }
    };
    changed
}

/// The PATCH body for a list of changes.
pub fn patch_body(changes: &[Change]) -> Value {
    let mut props = Map::new();
    for c in changes {
        props.insert(c.property.clone(), c.value.clone());
    }
    json!({ "properties": props })
}

/// Counts for the summary line, and the `summary` of `sync --json` and the replay's `--json`
/// (docs/json.md), serialized as they are.
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Summary {
    /// Pages the plan changes.
    pub to_update: usize,
    /// Properties the plan changes, over all pages.
    pub properties: usize,
    /// Pages already right.
    #[serde(rename = "already_correct")]
    pub up_to_date: usize,
    /// Keys no page carries.
    pub not_found: usize,
    /// Pages `[create] missing` makes (a plan), or would have made (a failed or untried apply).
    pub to_create: usize,
    /// Pages made.
    pub created: usize,
    /// Keys several pages carry.
    pub ambiguous: usize,
    /// Tickets whose lookup, write or comment failed.
    #[serde(rename = "errors")]
    pub failed: usize,
    /// Pages written.
    pub written: usize,
    /// Pages to update that an apply did not try (it stopped: Notion unreachable, the circuit open); 0
    /// for a dry run.
    pub not_tried: usize,
    /// Comments to post.
    pub comments: usize,
    /// Comments posted.
    pub comments_posted: usize,
    /// Commands that could not be done (`#status` naming no option).
    pub notes: usize,
}

impl Summary {
    /// The counts of a run: `applied` false for a dry run (nothing was to be tried).
    pub fn of_run(entries: &[Entry], applied: bool) -> Summary {
        let mut s = Summary::of(entries);
        if !applied {
            s.not_tried = 0;
        }
        s
    }

    /// The counts of a plan (applied or not).
    pub fn of(entries: &[Entry]) -> Summary {
        let mut s = Summary::default();
        for e in entries {
            match &e.outcome {
                _ if e.created => s.created += 1,
                Outcome::Create { .. } => {
                    s.to_create += 1;
                    match &e.applied {
                        Some(Err(_)) => s.failed += 1,
                        _ if e.applied.is_none() => s.not_tried += 1,
                        _ => {}
                    }
                }
                Outcome::Update { changes, .. } => {
                    s.to_update += 1;
                    s.properties += changes.len();
                    match &e.applied {
                        Some(Ok(())) => s.written += 1,
                        Some(Err(_)) => s.failed += 1,
                        None => s.not_tried += 1,
                    }
                }
                Outcome::UpToDate { .. } => s.up_to_date += 1,
                Outcome::NotFound => s.not_found += 1,
                Outcome::Ambiguous(_) => s.ambiguous += 1,
                Outcome::Failed(_) => s.failed += 1,
            }
            s.comments += e.comments.len();
            s.comments_posted += e.comments_posted;
            s.notes += e.notes.len();
            if e.comment_error.is_some() && !matches!(e.outcome, Outcome::Failed(_)) {
                s.failed += 1;
            }
        }
        s
    }

    /// Any ticket that could not be brought up to date.
    pub fn has_problems(&self) -> bool {
        self.failed + self.ambiguous + self.not_found + self.notes > 0
    }
}

/// A value as the human output shows it: quoted, or `(empty)`.
pub fn quote(s: &str) -> String {
    if s.is_empty() {
        "(empty)".into()
    } else {
        format!("{s:?}")
    }
}

/// One line per problem, for the hook's single warning line.
pub fn problems(entries: &[Entry], source_name: &str) -> Vec<String> {
    let mut out = vec![];
    for e in entries {
        let key = &e.desired.key;
        match (&e.outcome, &e.applied) {
            (Outcome::NotFound, _) => out.push(format!("{key} not found in {source_name}")),
            (Outcome::Ambiguous(pages), _) => {
                out.push(format!("{key} matches {} pages", pages.len()))
            }
            (Outcome::Failed(err), _) => out.push(err.to_string()),
            (_, Some(Err(err))) => out.push(err.to_string()),
            _ => {}
        }
        if let Some(err) = &e.comment_error {
            out.push(err.to_string());
        }
        out.extend(e.notes.iter().cloned());
    }
    out
}

fn render_extras(out: &mut String, e: &Entry, dry_run: bool) {
    for (i, c) in e.comments.iter().enumerate() {
        let done = !dry_run && i < e.comments_posted;
        out.push_str(&format!(
            "    {}: {} ({})\n",
            if done { "commented" } else { "comment" },
            quote(&c.text),
            &c.commit[..12.min(c.commit.len())]
        ));
    }
    if let Some(err) = &e.comment_error {
        out.push_str(&format!("    comment error: {err}\n"));
    }
    for n in &e.notes {
        out.push_str(&format!("    note: {n}\n"));
    }
}

/// The human report: each ticket with its changes, then a summary line.
#[cfg(test)]
pub fn render(entries: &[Entry], source_name: &str, dry_run: bool) -> String {
    let mut out = render_entries(entries, source_name, dry_run);
    out.push_str(&summary_line(entries, dry_run));
    out
}

/// The per-ticket lines of a plan, without its summary (for commands that summarise in their own words).
pub fn render_entries(entries: &[Entry], source_name: &str, dry_run: bool) -> String {
    let mut out = String::new();
    for e in entries {
        let key = e.desired.key.to_string();
        match &e.outcome {
            Outcome::Update { page, changes } => {
                out.push_str(&update_lines(e, &key, page, changes, dry_run));
            }
            Outcome::UpToDate { page } if !e.comments.is_empty() => {
                let verb = match (dry_run, e.comments_posted) {
                    (true, _) => "would comment",
                    (false, n) if n == e.comments.len() => "commented",
                    (false, _) => "FAILED",
                };
                out.push_str(&format!("{key}  {verb}  {}\n", quote(&page.title)));
            }
            Outcome::UpToDate { page } => {
                out.push_str(&format!("{key}  up to date  {}\n", quote(&page.title)));
            }
            _ if e.created => out.push_str(&create_lines(e, &key, &[], source_name, dry_run)),
            Outcome::Create { changes } => {
                out.push_str(&create_lines(e, &key, changes, source_name, dry_run))
            }
            Outcome::NotFound => out.push_str(&format!(
                "{key}  not found: no page of {source_name} carries {key} as its key\n"
            )),
            Outcome::Ambiguous(pages) => {
                out.push_str(&format!(
                    "{key}  ambiguous: {} pages match, none changed\n",
                    pages.len()
                ));
                for p in pages {
                    out.push_str(&format!("    {}  {}\n", quote(&p.title), p.url));
                }
            }
            Outcome::Failed(err) => out.push_str(&format!("{key}  error: {err}\n")),
        }
        render_extras(&mut out, e, dry_run);
    }
    out
}

/// A page `[create] missing` makes: made (its title and link), or to make (its properties), or failed.
fn create_lines(
    e: &Entry,
    key: &str,
    changes: &[Change],
    source_name: &str,
    dry_run: bool,
) -> String {
    if let (true, Some(p)) = (e.created, e.page()) {
        return format!("{key}  created  {}  {}\n", quote(&p.title), p.url);
    }
    let verb = match (&e.applied, dry_run) {
        (_, true) | (None, _) => "would create",
        _ => "FAILED to create",
    };
    let mut out = format!("{key}  {verb}  in {source_name}\n");
    for c in changes {
        out.push_str(&format!("    {}: {}\n", c.property, quote(&c.to)));
    }
    if let Some(Err(err)) = &e.applied {
        out.push_str(&format!("    error: {err}\n"));
    }
    out
}

/// A page that changes: its verb, each change, and the error of a write that failed.
fn update_lines(
    e: &Entry,
    key: &str,
    page: &PageState,
    changes: &[Change],
    dry_run: bool,
) -> String {
    let verb = match (&e.applied, dry_run) {
        (_, true) => "would update",
        (Some(Ok(())), _) => "updated",
        (Some(Err(_)), _) => "FAILED",
        (None, false) => "to update",
    };
    let mut out = format!("{key}  {verb}  {}\n", quote(&page.title));
    for c in changes {
        let (from, to) = (quote(&c.from), quote(&c.to));
        out.push_str(&format!("    {}: {from} → {to}\n", c.property));
    }
    if let Some(Err(err)) = &e.applied {
        out.push_str(&format!("    error: {err}\n"));
    }
    out
}

/// A plan's one-line summary: `would change 1 page (3 properties); 0 up to date, …`.
pub fn summary_line(entries: &[Entry], dry_run: bool) -> String {
    let s = Summary::of(entries);
    let pages = |n: usize| {
        if n == 1 {
            "1 page".to_string()
        } else {
            format!("{n} pages")
        }
    };
    let head = match (dry_run, s.to_update) {
        (_, 0) => "nothing to change".to_string(),
        (true, n) => format!("would change {} ({} properties)", pages(n), s.properties),
        (false, n) if s.written == n => {
            format!("updated {} ({} properties)", pages(n), s.properties)
        }
        (false, n) => format!("updated {} of {}", s.written, pages(n)),
    };
    let comments = match (dry_run, s.comments) {
        (_, 0) => String::new(),
        (true, n) => format!("; would post {n} comment(s)"),
        (false, n) => format!("; posted {} of {n} comment(s)", s.comments_posted),
    };
    // Every ticket is counted once: an apply that stopped says how many pages it never tried.
    let untried = match (dry_run, s.not_tried) {
        (true, _) | (false, 0) => String::new(),
        (false, n) => format!(", {n} not tried (run it again)"),
    };
    format!(
        "{head}{comments}; {} up to date, {} not found, {} ambiguous, {} failed{untried}{}\n",
        s.up_to_date,
        s.not_found,
        s.ambiguous,
        s.failed,
        if dry_run {
            " (dry run: nothing was written)"
        } else {
            ""
        }
    )
}

/// How one ticket of an applied plan ended, for the outbox. Only what cannot succeed without a change in
/// Notion or in history leaves the queue, as a named state; everything a person can fix later (token,
/// access, configuration, an unknown `#status`, Notion down) stays pending with its reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivery {
    /// Notion has it (written now, or already up to date).
    Done,
    /// Stays queued with this reason; delivered once the cause is gone.
    Retry(Reason),
    /// Leaves the queue: no page, several pages, or a value Notion refused (400).
    Settled(Settled, Reason),
}

/// The named states of updates that left the queue without being delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Settled {
    /// No page carries the key (sub-tickets often have none); a page created later is picked up by the
    /// next `git notion flush` or replay.
    NoPage,
    /// Several pages carry the key.
    Ambiguous,
    /// Notion refused the values (400).
    Rejected,
}

impl Settled {
    /// The state as `git notion status` shows it.
    pub fn label(self) -> &'static str {
        match self {
            Settled::NoPage => "no page",
            Settled::Ambiguous => "ambiguous",
            Settled::Rejected => "rejected",
        }
    }
}

impl Entry {
    /// How this ticket's update ends for the outbox: delivered, to retry (with why), or settled.
    pub fn delivery(&self, source_name: &str) -> Delivery {
        let key = &self.desired.key;
        let api = |e: &ApiError| match e {
            ApiError::Rejected { status: 400, .. } | ApiError::KeyRefused { .. } => {
                Delivery::Settled(Settled::Rejected, Reason::of_api(e))
            }
            _ => Delivery::Retry(Reason::of_api(e)),
        };
        if let Some(e) = &self.comment_error {
            return api(e);
        }
        match (&self.outcome, &self.applied) {
            (Outcome::UpToDate { .. }, _) | (Outcome::Update { .. }, Some(Ok(()))) => {
                if self.notes.is_empty() {
                    Delivery::Done
                } else {
                    // An unknown `#status`: the rest is written; it waits for the option to exist.
                    Delivery::Retry(Reason::new(
                        ReasonKind::UnknownStatus,
                        self.notes.join("; "),
                    ))
                }
            }
            (Outcome::Update { .. } | Outcome::Create { .. }, Some(Err(e)))
            | (Outcome::Failed(e), _) => api(e),
            (Outcome::Create { .. }, _) => {
                Delivery::Retry(Reason::new(ReasonKind::NotTried, "not created"))
            }
            (Outcome::Update { .. }, None) => {
                Delivery::Retry(Reason::new(ReasonKind::NotTried, "not applied"))
            }
            (Outcome::NotFound, _) => Delivery::Settled(
                Settled::NoPage,
                Reason::new(
                    ReasonKind::NoPage,
                    format!("{key} not found: no page of {source_name} carries it as its key"),
                ),
            ),
            (Outcome::Ambiguous(pages), _) => Delivery::Settled(
                Settled::Ambiguous,
                Reason::new(
                    ReasonKind::Ambiguous,
                    format!(
                        "{key} matches {} pages of {source_name}; make the key unique",
                        pages.len()
                    ),
                ),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(t: &str) -> TicketKey {
        TicketKey::Token(t.into())
    }

    fn desired_at(id: &str, time: i64) -> Desired {
        let commit = crate::git::Commit {
            id: id.repeat(40),
            message: "feat: #005 x\n".into(),
            time,
            offset: 0,
            parents: 1,
            author_email: String::new(),
        };
        Desired {
            date: commit.date(),
            ..Desired::nothing(token("#005"), commit)
        }
    }

    fn page_showing(id: &str, date: &str, edited: Option<i64>) -> PageState {
        PageState {
            id: "p".into(),
            url: String::new(),
            title: "#005".into(),
            status: String::new(),
            date: date.into(),
            commit_url: if id.is_empty() {
                String::new()
            } else {
                format!("https://github.com/acme/x/commit/{}", id.repeat(40))
            },
            assignee: String::new(),
            commits: String::new(),
            commit_links: vec![],
            release: String::new(),
            pull_request: String::new(),
            data_source_id: None,
            edited,
        }
    }

    fn comment(text: &str) -> Comment {
        Comment {
            commit: "0123456789abcdef0123456789abcdef01234567".into(),
            text: text.into(),
            commit_url: None,
        }
    }

    #[test]
    fn only_comments_not_on_the_page_are_posted_once() {
        let wanted = [comment("a"), comment("b"), comment("a")];
        let left = unposted(&wanted, &["b".to_string()]);
        assert_eq!(
            left.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        let long = comment(&"长".repeat(5000));
        assert!(unposted(
            std::slice::from_ref(&long),
            &[comments::body_text(&long.text)]
        )
        .is_empty());
    }

    #[test]
    fn linked_commits_are_read_from_urls() {
        let id = "ab".repeat(20);
        assert_eq!(
            linked_commit(&format!("https://github.com/a/b/commit/{id}")),
            Some(id.as_str())
        );
        assert_eq!(
            linked_commit(&format!("https://gitlab.com/a/b/-/commit/{id}?x=1")),
            Some(id.as_str())
        );
        assert_eq!(linked_commit("https://github.com/a/b/commit/abc"), None);
        assert_eq!(linked_commit(""), None);
    }

    #[test]
    fn a_page_showing_a_later_commit_keeps_it() {
        let day = 86_400;
        let t0 = 1_759_300_000;
        let known = |id: &str| match &id[..1] {
            "a" => Some(t0),
            "b" => Some(t0 + 60),
            _ => None,
        };
        let ours = desired_at("a", t0);
        // The same commit: not newer.
        assert!(!page_is_newer(
            &page_showing("a", &ours.date, None),
            &ours,
            &known
        ));
        // A known later commit, the same day: newer.
        assert!(page_is_newer(
            &page_showing("b", &ours.date, None),
            &ours,
            &known
        ));
        // A known earlier commit: ours is newer.
        assert!(!page_is_newer(
            &page_showing("a", &ours.date, None),
            &desired_at("b", t0 + 60),
            &known
        ));
        // Unknown commits: by day; the same day is kept (cannot tell), an earlier day is not.
        let later = desired_at("c", t0 + day);
        assert!(page_is_newer(
            &page_showing("d", &later.date, None),
            &later,
            &known
        ));
        assert!(!page_is_newer(
            &page_showing("d", &ours.date, None),
            &later,
            &known
        ));
        assert!(page_is_newer(
            &page_showing("d", &later.date, None),
            &ours,
            &known
        ));
        // Committed after the page's last edit: newer than whatever it shows.
        let fresh = desired_at("c", t0 + day);
        assert!(!page_is_newer(
            &page_showing("d", &fresh.date, Some(t0)),
            &fresh,
            &known
        ));
        // Notion shows last_edited_time by the minute: only a commit past the end of that minute is
        // surely later; one within it falls back to the day (the same day, a linked unknown commit: kept).
        let edited = t0 + day;
        let within = desired_at("c", edited + 59);
        assert!(page_is_newer(
            &page_showing("d", &within.date, Some(edited)),
            &within,
            &known
        ));
        let past = desired_at("c", edited + 60);
        assert!(!page_is_newer(
            &page_showing("d", &past.date, Some(edited)),
            &past,
            &known
        ));
        // No link: a later date alone keeps it, the same date does not.
        assert!(page_is_newer(
            &page_showing("", &later.date, None),
            &ours,
            &known
        ));
        assert!(!page_is_newer(
            &page_showing("", &ours.date, None),
            &ours,
            &known
        ));
        assert!(!page_is_newer(&page_showing("", "", None), &ours, &known));
    }

    #[test]
    fn placeholders() {
        for t in [
            "",
            "Untitled",
            "#012",
            "#026 - TBD",
            "#026: todo",
            "  #012 -  ",
            "#003 待定",
            "WIP",
        ] {
            assert!(
                is_placeholder(
                    t,
                    &token(if t.contains("#026") {
                        "#026"
                    } else if t.contains("#003") {
                        "#003"
                    } else {
                        "#012"
                    })
                ),
                "{t:?}"
            );
        }
        for t in [
            "#012 - Real work",
            "#0120",
            "统一 MT5 工作目录",
            "#012 done",
        ] {
            assert!(!is_placeholder(t, &token("#012")), "{t:?}");
        }
    }

    fn state(title: &str) -> PageState {
        PageState {
            id: format!("id-{title}"),
            url: format!("https://app.notion.com/p/{title}"),
            title: title.into(),
            status: String::new(),
            date: String::new(),
            commit_url: String::new(),
            assignee: String::new(),
            commits: String::new(),
            commit_links: vec![],
            release: String::new(),
            pull_request: String::new(),
            data_source_id: None,
            edited: None,
        }
    }

    fn entry(key: &str, outcome: Outcome) -> Entry {
        let mut desired = desired_at("a", 0);
        desired.key = token(key);
        Entry::new(desired, outcome, vec![])
    }

    fn change(property: &str, from: &str, to: &str) -> Change {
        Change {
            property: property.into(),
            from: from.into(),
            to: to.into(),
            value: json!(to),
            links_commit: false,
        }
    }

    fn refused(what: &str) -> ApiError {
        ApiError::Rejected {
            op: what.into(),
            status: 400,
            said: Box::new(crate::notion::client::Said {
                code: "validation_error".into(),
                message: "no".into(),
                ..Default::default()
            }),
        }
    }

    /// One of every outcome, applied in every way.
    fn every_outcome() -> Vec<Entry> {
        let update = |key: &str, changes: Vec<Change>| {
            entry(
                key,
                Outcome::Update {
                    page: Box::new(state(key)),
                    changes,
                },
            )
        };
        let mut written = update(
            "#1",
            vec![
                change("状态", "", "进行中"),
                change("日期", "", "2026-01-02"),
            ],
        );
        written.applied = Some(Ok(()));
        let mut refused_write = update("#2", vec![change("状态", "完成", "")]);
        refused_write.applied = Some(Err(refused("update #2")));
        let not_applied = update("#3", vec![change("Commit", "", "https://x.invalid/c")]);
        let mut half_commented = entry(
            "#4",
            Outcome::UpToDate {
                page: Box::new(state("#4")),
            },
        );
        half_commented.comments = vec![comment("一"), comment("二")];
        half_commented.comments_posted = 1;
        half_commented.comment_error = Some(refused("comment on #4"));
        let mut commented = entry(
            "#5",
            Outcome::UpToDate {
                page: Box::new(state("#5")),
            },
        );
        commented.comments = vec![comment("done")];
        commented.comments_posted = 1;
        let mut noted = entry(
            "#6",
            Outcome::UpToDate {
                page: Box::new(state("")),
            },
        );
        noted.notes = vec!["#6: `#status Zzz` names no option".into()];
        vec![
            written,
            refused_write,
            not_applied,
            half_commented,
            commented,
            noted,
            entry("#7", Outcome::NotFound),
            entry("#8", Outcome::Ambiguous(vec![state("#8 a"), state("#8 b")])),
            entry("#9", Outcome::Failed(refused("find #9"))),
        ]
    }

    #[test]
    fn the_summary_counts_every_outcome_once() {
        let entries = every_outcome();
        assert_eq!(
            Summary::of(&entries),
            Summary {
                to_update: 3,
                properties: 4,
                up_to_date: 3,
                not_found: 1,
                ambiguous: 1,
                failed: 3,
                written: 1,
                comments: 3,
                comments_posted: 2,
                notes: 1,
                not_tried: 1,
                to_create: 0,
                created: 0,
            }
        );
        assert!(Summary::of(&entries).has_problems());
        assert!(!Summary::of(&entries[..1]).has_problems());
        assert!(!Summary::of(&entries[4..5]).has_problems());
        for one in [5, 6, 7, 8] {
            assert!(Summary::of(&entries[one..one + 1]).has_problems(), "{one}");
        }
        assert_eq!(Summary::of(&[]), Summary::default());
    }

    #[test]
    fn problems_name_each_ticket_once_per_cause() {
        let p = problems(&every_outcome(), "工单");
        assert_eq!(
            p,
            [
                refused("update #2").to_string(),
                refused("comment on #4").to_string(),
                "#6: `#status Zzz` names no option".to_string(),
                "#7 not found in 工单".to_string(),
                "#8 matches 2 pages".to_string(),
                refused("find #9").to_string(),
            ]
        );
    }

    #[test]
    fn the_report_shows_every_outcome() {
        let entries = every_outcome();
        insta::assert_snapshot!("report_applied", render(&entries, "工单", false));
        insta::assert_snapshot!("report_dry_run", render(&entries, "工单", true));
        let nothing = render(&entries[5..6], "工单", false);
        assert!(
            nothing.ends_with(
                "\nnothing to change; 1 up to date, 0 not found, 0 ambiguous, 0 failed\n"
            ),
            "{nothing}"
        );
        let mut all = every_outcome();
        all.truncate(1);
        let one = render(&all, "工单", false);
        assert!(
            one.contains("updated 1 page (2 properties); 0 up to date"),
            "{one}"
        );
    }

    fn zh_binding() -> Binding {
        let schema = crate::notion::schema::Schema::from_json(&json!({
            "id": "ds",
            "title": [{"plain_text": "工单"}],
            "properties": {
                "标题": {"id": "title", "type": "title", "title": {}},
                "状态": {"id": "s", "type": "status", "status": {
                    "options": [{"id": "0", "name": "未开始"}, {"id": "1", "name": "进行中"}, {"id": "2", "name": "完成"}],
                    "groups": [{"option_ids": ["0"]}, {"option_ids": ["1"]}, {"option_ids": ["2"]}]
                }},
                "日期": {"id": "d", "type": "date", "date": {}},
                "Commit": {"id": "c", "type": "url", "url": {}}
            }
        }));
        let mut c = crate::config::Config::default();
        c.properties.title = Some("标题".into());
        c.properties.status = Some("状态".into());
        c.properties.date = Some("日期".into());
        c.properties.commit_url = Some("Commit".into());
        c.status.on_commit = Some("进行中".into());
        c.status.on_merge = Some("完成".into());
        Binding::new(&schema, &c).unwrap()
    }

    #[test]
    fn a_release_is_added_to_a_multi_select_and_replaces_only_an_earlier_one_elsewhere() {
        let binding = |kind: &str| {
            let schema = crate::notion::schema::Schema::from_json(&json!({
                "id": "ds",
                "properties": {
                    "Name": {"id": "title", "type": "title", "title": {}},
                    "Release": {"id": "r", "type": kind, kind: {}}
                }
            }));
            let mut c = crate::config::Config::default();
            c.properties.release = Some("Release".into());
            Binding::new(&schema, &c).unwrap()
        };
        let mut d = desired_at("b", 1_760_000_000);
        d.releases = vec!["v1.0".into(), "v1.1".into()];
        let to = |b: &Binding, now: &str| {
            let page = PageState {
                release: now.into(),
                ..state("#005")
            };
            changes(b, TitlePolicy::Never, &d, &page, false)
                .first()
                .map(|c| c.to.clone())
        };
        let multi = binding("multi_select");
        assert_eq!(to(&multi, "").as_deref(), Some("v1.0, v1.1"));
        assert_eq!(to(&multi, "hotfix").as_deref(), Some("hotfix, v1.0, v1.1"));
        assert_eq!(to(&multi, "v1.1, v1.0"), None, "all there: nothing");
        let select = binding("select");
        assert_eq!(to(&select, "").as_deref(), Some("v1.1"));
        assert_eq!(
            to(&select, "v1.0").as_deref(),
            Some("v1.1"),
            "an earlier one"
        );
        assert_eq!(
            to(&select, "v2.0"),
            None,
            "a release this clone does not know stays"
        );
        assert_eq!(to(&binding("rich_text"), "").as_deref(), Some("v1.1"));
    }

    fn wanted(subject: &str, status: Option<&str>) -> Desired {
        let mut d = desired_at("b", 1_760_000_000);
        d.title = Some(subject.into());
        d.status = status.map(String::from);
        d.commit_url = Some(format!(
            "https://github.com/acme/x/commit/{}",
            "b".repeat(40)
        ));
        d
    }

    fn props(changes: &[Change]) -> Vec<(&str, &str, bool)> {
        changes
            .iter()
            .map(|c| (c.property.as_str(), c.to.as_str(), c.links_commit))
            .collect()
    }

    #[test]
    fn changes_are_exactly_the_differing_properties() {
        let b = zh_binding();
        let mut page = state("#005");
        page.status = "未开始".into();
        let d = wanted("feat: monitoring", Some("进行中"));
        let link = d.commit_url.clone().unwrap();
        let all = changes(&b, TitlePolicy::FillPlaceholder, &d, &page, false);
        assert_eq!(
            props(&all),
            [
                ("标题", "#005 feat: monitoring", false),
                ("状态", "进行中", false),
                ("日期", d.date.as_str(), false),
                ("Commit", link.as_str(), true),
            ]
        );
        assert_eq!(all[1].from, "未开始");
        assert_eq!(
            patch_body(&all)["properties"]["状态"],
            json!({"status": {"name": "进行中"}})
        );
        // The page already shows all of it: nothing.
        let mut done = page.clone();
        done.title = "#005 feat: monitoring".into();
        done.status = "进行中".into();
        done.date = d.date.clone();
        done.commit_url = link.clone();
        assert!(changes(&b, TitlePolicy::Always, &d, &done, false).is_empty());
        // A page showing a later commit keeps its title, date and link; the status still moves.
        assert_eq!(
            props(&changes(&b, TitlePolicy::Always, &d, &page, true)),
            [("状态", "进行中", false)]
        );
    }

    #[test]
    fn the_title_policy_decides_and_the_key_stays_findable() {
        let b = zh_binding();
        let mut page = state("#005 Monitoring baseline");
        page.status = "进行中".into();
        page.date = "2026-01-01".into();
        let mut d = wanted("#005 monitoring", None);
        d.date = page.date.clone();
        d.commit_url = None;
        let titles = |policy, d: &Desired, page: &PageState| {
            props(&changes(&b, policy, d, page, false))
                .iter()
                .map(|(p, to, _)| format!("{p}={to}"))
                .collect::<Vec<_>>()
        };
        assert!(
            titles(TitlePolicy::FillPlaceholder, &d, &page).is_empty(),
            "a real title stays"
        );
        assert!(titles(TitlePolicy::Never, &d, &page).is_empty());
        assert_eq!(
            titles(TitlePolicy::Always, &d, &page),
            ["标题=#005 monitoring"],
            "the subject has the key"
        );
        page.title = "Untitled".into();
        assert_eq!(
            titles(TitlePolicy::FillPlaceholder, &d, &page),
            ["标题=#005 monitoring"]
        );
        d.title = Some("  ".into());
        assert!(
            titles(TitlePolicy::Always, &d, &page).is_empty(),
            "an empty subject never blanks a title"
        );
        d.title = Some("fix alerts".into());
        assert_eq!(
            titles(TitlePolicy::Always, &d, &page),
            ["标题=#005 fix alerts"]
        );
        d.key = TicketKey::Page("p".into());
        assert_eq!(
            titles(TitlePolicy::Always, &d, &page),
            ["标题=fix alerts"],
            "page keys need no token"
        );
    }

    #[test]
    fn statuses_never_move_back_unless_exact() {
        let b = zh_binding();
        let mut page = state("#005 x");
        page.status = "完成".into();
        let mut d = wanted("#005 x", Some("进行中"));
        d.commit_url = None;
        d.date = String::new();
        assert!(changes(&b, TitlePolicy::Never, &d, &page, false).is_empty());
        d.status_exact = true;
        assert_eq!(
            props(&changes(&b, TitlePolicy::Never, &d, &page, false)),
            [("状态", "进行中", false)]
        );
        // Another option of the same group is not backwards either (In review → In progress).
        d.status_exact = false;
        let schema = crate::notion::schema::Schema::from_json(&json!({
            "id": "ds",
            "properties": {
                "标题": {"id": "title", "type": "title", "title": {}},
                "状态": {"id": "s", "type": "status", "status": {
                    "options": [{"id": "0", "name": "未开始"}, {"id": "1", "name": "进行中"}, {"id": "2", "name": "审核"}],
                    "groups": [{"option_ids": ["0"]}, {"option_ids": ["1", "2"]}]
                }}
            }
        }));
        let mut c = crate::config::Config::default();
        c.properties.status = Some("状态".into());
        let same_group = Binding::new(&schema, &c).unwrap();
        page.status = "审核".into();
        assert_eq!(
            props(&changes(&same_group, TitlePolicy::Never, &d, &page, false)),
            [("状态", "进行中", false)]
        );
        // An option outside the groups is never "backwards".
        page.status = "Archived".into();
        assert_eq!(
            props(&changes(&b, TitlePolicy::Never, &d, &page, false)),
            [("状态", "进行中", false)]
        );
    }

    #[test]
    fn ties_and_missing_dates_never_keep_an_older_page() {
        let t0 = 1_759_300_000;
        // A known commit made at the same second as ours: not later, so ours is written.
        let known = |id: &str| (id.starts_with('e')).then_some(t0);
        let ours = desired_at("a", t0);
        assert!(!page_is_newer(
            &page_showing("e", &ours.date, None),
            &ours,
            &known
        ));
        // A commit without a date to compare: the page's date alone keeps nothing.
        let mut undated = desired_at("a", t0);
        undated.date = String::new();
        assert!(!page_is_newer(
            &page_showing("", "2099-01-01", None),
            &undated,
            &known
        ));
    }

    #[test]
    fn deliveries_keep_what_a_person_can_fix_and_settle_the_rest() {
        let d = |mut e: Entry| {
            e.desired.key = token("#1");
            e.delivery("工单")
        };
        assert_eq!(
            d(entry(
                "#1",
                Outcome::UpToDate {
                    page: Box::new(state("#1"))
                }
            )),
            Delivery::Done
        );
        let unavailable = ApiError::Unavailable {
            op: "x".into(),
            status: 503,
            said: Box::new(crate::notion::client::Said {
                code: "service_unavailable".into(),
                ..Default::default()
            }),
            attempts: 3,
        };
        assert!(matches!(
            d(entry("#1", Outcome::Failed(unavailable.clone()))),
            Delivery::Retry(_)
        ));
        assert!(matches!(
            d(entry("#1", Outcome::Failed(refused("x")))),
            Delivery::Settled(Settled::Rejected, _)
        ));
        let mut half = entry(
            "#1",
            Outcome::UpToDate {
                page: Box::new(state("#1")),
            },
        );
        half.comment_error = Some(unavailable);
        assert!(matches!(d(half), Delivery::Retry(_)));
        let mut noted = entry(
            "#1",
            Outcome::UpToDate {
                page: Box::new(state("#1")),
            },
        );
        noted.notes = vec!["no such option".into()];
        assert_eq!(
            d(noted),
            Delivery::Retry(Reason::new(ReasonKind::UnknownStatus, "no such option"))
        );
        assert!(matches!(
            d(entry("#1", Outcome::NotFound)),
            Delivery::Settled(Settled::NoPage, _)
        ));
        assert!(matches!(
            d(entry(
                "#1",
                Outcome::Ambiguous(vec![state("a"), state("b")])
            )),
            Delivery::Settled(Settled::Ambiguous, _)
        ));
        assert_eq!(
            [Settled::NoPage, Settled::Ambiguous, Settled::Rejected].map(Settled::label),
            ["no page", "ambiguous", "rejected"]
        );
    }
}
