//! Reading a long history on several cores. One thread walks the commit graph in order (from the
//! commit-graph file when the repository has one, so without inflating a single object); reader threads
//! inflate and decode the commits in batches; the caller gets them back in walk order. Without a
//! commit-graph the walk itself must inflate each commit to find its parents: it hands the bytes it read
//! to the readers, so no commit is inflated twice.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};

use gix::objs::Find;
use gix::ObjectId;

use super::{Commit, GitError};

/// Commits per batch passed between threads.
const BATCH: usize = 256;
/// Batches queued per reader.
const QUEUED: usize = 4;
/// At most this many commits read by the walk wait for their turn (hidden ones are never handed on).
const KEPT: usize = 4096;

/// What the walk needs, resolved by the caller.
pub(super) struct Plan {
    pub tips: Vec<ObjectId>,
    pub hidden: Vec<ObjectId>,
    pub sorting: gix::traverse::commit::simple::Sorting,
    pub first_parent: bool,
}

/// A batch of commits in walk order: ids, with the bytes the walk already read.
type Batch = Vec<(ObjectId, Option<Vec<u8>>)>;
/// A batch read (each commit mapped), numbered in walk order.
type Read<T> = (u64, Result<Vec<T>, GitError>);

fn read_error(what: &str, e: &dyn std::fmt::Display) -> GitError {
    GitError::Read {
        what: what.into(),
        detail: e.to_string(),
    }
}

/// Walks `plan` newest first, each commit read and passed through `map` on one of `readers` threads,
/// handing the results to `visit` in walk order; stops when it returns false.
pub(super) fn walk<T: Send>(
    repo: &gix::Repository,
    plan: Plan,
    readers: usize,
    map: &(dyn Fn(Commit) -> T + Sync),
    mut visit: impl FnMut(T) -> bool,
) -> Result<(), GitError> {
    let open = {
        let (dir, options) = (repo.git_dir().to_path_buf(), repo.open_options().clone());
        move || {
            gix::open_opts(dir.clone(), options.clone())
                .map_err(|e| read_error("the repository", &e))
        }
    };
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (results, received) = sync_channel::<Read<T>>(readers * (QUEUED + 2));
        let mut inputs: Vec<SyncSender<(u64, Batch)>> = vec![];
        let mut handles = vec![];
        for _ in 0..readers {
            let (input, batches) = sync_channel::<(u64, Batch)>(QUEUED);
            inputs.push(input);
            let (results, open) = (results.clone(), open.clone());
            handles.push(scope.spawn(move || reader(open, batches, results, map)));
        }
        drop(results);
        let stop = &stop;
        let walker = scope.spawn(move || -> Result<u64, GitError> {
            let repo = open()?;
            walker(&repo, plan, &inputs, stop)
        });
        let mut waiting: BTreeMap<u64, Result<Vec<T>, GitError>> = BTreeMap::new();
        let mut next = 0u64;
        let mut stopped = false;
        'read: for (seq, batch) in &received {
            waiting.insert(seq, batch);
            while let Some(batch) = waiting.remove(&next) {
                next += 1;
                for c in batch? {
                    if !visit(c) {
                        stopped = true;
                        break 'read;
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        drop(received);
        let walked = walker.join();
        let readers_ok = handles.into_iter().all(|h| h.join().is_ok());
        if stopped {
            return Ok(());
        }
        let sent =
            walked.map_err(|_| read_error("history", &"the walk stopped unexpectedly"))??;
        if !readers_ok || sent != next {
            return Err(read_error(
                "history",
                &"a reader thread stopped unexpectedly (a bug: please report it)",
            ));
        }
        Ok(())
    })
}

/// The walk: ids in order, batched round-robin to the readers. Returns how many batches it sent.
fn walker(
    repo: &gix::Repository,
    plan: Plan,
    inputs: &[SyncSender<(u64, Batch)>],
    stop: &AtomicBool,
) -> Result<u64, GitError> {
    let graph = repo.commit_graph_if_enabled().ok().flatten();
    let kept = Keeping {
        odb: &repo.objects,
        kept: RefCell::new(HashMap::new()),
    };
    let parents = if plan.first_parent {
        gix::traverse::commit::Parents::First
    } else {
        gix::traverse::commit::Parents::All
    };
    let walk = gix::traverse::commit::Simple::new(plan.tips, &kept)
        .sorting(plan.sorting)
        .map_err(|e| read_error("history", &e))?
        .parents(parents)
        .commit_graph(graph)
        .hide(plan.hidden)
        .map_err(|e| read_error("history", &e))?;
    let mut seq = 0u64;
    let mut batch: Batch = Vec::with_capacity(BATCH);
    let send = |seq: &mut u64, batch: Batch| -> bool {
        let ok = inputs[*seq as usize % inputs.len()]
            .send((*seq, batch))
            .is_ok();
        *seq += 1;
        ok
    };
    // Commits of one second are given children first (`ties`).
    let mut ties = super::ties::Ties::new();
    let mut given = vec![];
    for next in walk.map(Some).chain(std::iter::once(None)) {
        match next {
            Some(info) => {
                let info = info.map_err(|e| read_error("history", &e))?;
                let data = kept.kept.borrow_mut().remove(&info.id);
                let item = (info.id, data);
                let emit = &mut |item| given.push(item);
                ties.push(info.commit_time, info.id, info.parent_ids, item, emit);
            }
            None => ties.finish(&mut |item| given.push(item)),
        }
        for item in given.drain(..) {
            batch.push(item);
            if batch.len() == BATCH {
                let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
                if stop.load(Ordering::Relaxed) || !send(&mut seq, full) {
                    return Ok(seq);
                }
            }
        }
    }
    if !batch.is_empty() {
        send(&mut seq, batch);
    }
    Ok(seq)
}

/// A reader: inflates (unless the walk already did) and decodes each commit of its batches.
fn reader<T>(
    open: impl Fn() -> Result<gix::Repository, GitError>,
    batches: Receiver<(u64, Batch)>,
    results: SyncSender<Read<T>>,
    map: &(dyn Fn(Commit) -> T + Sync),
) {
    let repo = match open() {
        Ok(r) => r,
        Err(e) => {
            // Answer every batch with the error, so the caller does not wait for them.
            for (seq, _) in batches {
                if results.send((seq, Err(e.clone()))).is_err() {
                    return;
                }
            }
            return;
        }
    };
    let mut buf = vec![];
    for (seq, batch) in batches {
        let read = batch
            .into_iter()
            .map(|(id, data)| decode(&repo, id, data.as_deref(), &mut buf).map(map))
            .collect();
        if results.send((seq, read)).is_err() {
            return;
        }
    }
}

/// One commit from its bytes, read from the object database unless given.
fn decode(
    repo: &gix::Repository,
    id: ObjectId,
    data: Option<&[u8]>,
    buf: &mut Vec<u8>,
) -> Result<Commit, GitError> {
    let what = format!("commit {id}");
    let bytes = match data {
        Some(d) => d,
        None => {
            repo.objects
                .try_find(&id, buf)
                .map_err(|e| read_error(&what, &e))?
                .ok_or_else(|| read_error(&what, &"the object is missing"))?
                .data
        }
    };
    let c = gix::objs::CommitRef::from_bytes(bytes, repo.object_hash())
        .map_err(|e| read_error(&what, &e))?;
    super::commit_of(id, &c)
}

/// The object database, keeping the bytes of the commits the walk reads until they are handed on.
struct Keeping<'a> {
    odb: &'a gix::OdbHandle,
    kept: RefCell<HashMap<ObjectId, Vec<u8>>>,
}

impl Find for Keeping<'_> {
    fn try_find<'a>(
        &self,
        id: &gix::oid,
        buffer: &'a mut Vec<u8>,
    ) -> Result<Option<gix::objs::Data<'a>>, gix::error::Error> {
        // The walk reads a commit twice: for its time when it is queued, for its parents when its turn comes.
        if let Some(data) = self.kept.borrow().get(id) {
            buffer.clear();
            buffer.extend_from_slice(data);
            return Ok(Some(gix::objs::Data {
                kind: gix::objs::Kind::Commit,
                object_hash: id.kind(),
                data: buffer,
            }));
        }
        let found = self.odb.try_find(id, buffer)?;
        if let Some(d) = &found {
            if d.kind == gix::objs::Kind::Commit {
                let mut kept = self.kept.borrow_mut();
                // Commits of a hidden history are read and never handed on: the readers read any dropped.
                if kept.len() >= KEPT {
                    kept.clear();
                }
                kept.insert(id.to_owned(), d.data.to_vec());
            }
        }
        Ok(found)
    }
}
