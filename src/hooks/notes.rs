//! What a hook has to tell after a run, as values. Only the command line turns them into text: the one
//! warning line a hook prints (`cli`'s `hook_line`).

use std::path::PathBuf;

use crate::pipeline::plan::Settled;
use crate::pipeline::Reason;
use crate::rules::tickets::TicketKey;

use super::outbox::{Outbox, OutboxError};
use super::HookError;

/// One thing a hook tells.
#[derive(Debug)]
pub enum Note {
    /// The outbox cannot be written: the updates of `commits` commits were not recorded (0: the next
    /// commit naming a ticket could not be).
    NotQueued {
        /// What the outbox ran into.
        error: OutboxError,
        /// Commits whose updates were lost (0: none yet).
        commits: usize,
    },
    /// The configuration cannot be read or used: the commit's updates wait until it is fixed.
    ConfigWaits(Reason),
    /// Updates tried earlier wait for a fix (said on every commit), with the first one's reason.
    Waiting {
        /// How many.
        count: usize,
        /// The first one's reason.
        reason: Option<Reason>,
    },
    /// Updates that left the queue undelivered since a hook last said so (said once per key).
    NotDelivered(Vec<(TicketKey, Settled)>),
    /// Outbox files found damaged and set aside.
    Damaged {
        /// The first one.
        first: PathBuf,
        /// How many.
        count: usize,
    },
    /// A foreground hook's delivery: what went wrong with it.
    Delivery {
        /// The plan's problems, one per ticket.
        problems: Vec<String>,
        /// Why nothing could be sent, if so.
        error: Option<Reason>,
        /// Updates left queued for later.
        requeued: usize,
    },
    /// The hook could not run (the commit is kept).
    Failed(HookError),
}

/// Everything a hook tells, in order (usually nothing).
#[derive(Debug, Default)]
pub struct Notes(pub Vec<Note>);

impl Notes {
    /// Nothing to tell.
    pub fn none() -> Notes {
        Notes(vec![])
    }

    /// One note.
    pub fn one(note: Note) -> Notes {
        Notes(vec![note])
    }
}

/// What a hook says about earlier updates, or nothing: updates waiting for a fix (each commit says so,
/// with the first reason), updates that left the queue undelivered (once per key), damaged files.
pub(super) fn attention(ob: &Outbox) -> Notes {
    let mut notes = Notes::none();
    if !ob.exists() && ob.damaged().is_empty() {
        return notes;
    }
    if let Ok(guard) = ob.lock() {
        let notice = guard.notice();
        if notice.waiting > 0 {
            notes.0.push(Note::Waiting {
                count: notice.waiting,
                reason: notice.reason,
            });
        }
        if let Ok(mut failed) = guard.failed() {
            let new: Vec<(TicketKey, Settled)> = failed
                .iter()
                .filter(|f| !f.warned)
                .map(|f| (f.key.clone(), f.state))
                .collect();
            if !new.is_empty() {
                notes.0.push(Note::NotDelivered(new));
                for f in failed.iter_mut() {
                    f.warned = true;
                }
                let _ = guard.set_failed(&failed);
            }
        }
    }
    let damaged = ob.damaged();
    if let Some(first) = damaged.first() {
        notes.0.push(Note::Damaged {
            first: first.clone(),
            count: damaged.len(),
        });
    }
    notes
}
