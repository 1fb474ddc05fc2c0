//! Commits of one committer second, given children first. A walk by commit time orders the commits of
//! one second arbitrarily (its queue is a heap): from several tips (`--all`: a tag on a parent, the branch
//! on its child) a parent may come out before its child, and "the latest commit naming a ticket" would
//! then depend on which refs the walk started from. A fast rebase or import makes many such seconds.

use std::collections::{BTreeSet, HashMap};

use gix::ObjectId;

/// A commit's parents (at most one without a heap allocation, as gix keeps them).
pub(crate) type Parents = gix::traverse::commit::ParentIds;

/// The run of commits of the current second, held until the next second begins.
pub(crate) struct Ties<T> {
    time: Option<i64>,
    run: Vec<(ObjectId, Parents, T)>,
}

impl<T> Ties<T> {
    pub(crate) fn new() -> Self {
        Ties {
            time: None,
            run: vec![],
        }
    }

    /// Takes the next commit of the walk; gives `emit` the commits now in their final order (the
    /// previous second's, once this one is another).
    pub(crate) fn push(
        &mut self,
        time: Option<i64>,
        id: ObjectId,
        parents: Parents,
        item: T,
        emit: &mut impl FnMut(T),
    ) {
        if time != self.time {
            self.finish(emit);
            self.time = time;
        }
        self.run.push((id, parents, item));
    }

    /// Gives `emit` the held commits, children before their parents, otherwise in the walk's order.
    pub(crate) fn finish(&mut self, emit: &mut impl FnMut(T)) {
        if self.run.len() < 2 {
            // The common case (one commit a second): no ordering to do, nothing allocated.
            for (_, _, t) in self.run.drain(..) {
                emit(t);
            }
            return;
        }
        let run = std::mem::take(&mut self.run);
        let at: HashMap<ObjectId, usize> = run
            .iter()
            .enumerate()
            .map(|(i, (id, _, _))| (*id, i))
            .collect();
        // Kahn's order: a commit is ready once every child of it in the run was given.
        let mut children = vec![0usize; run.len()];
        for (_, parents, _) in &run {
            for p in parents {
                if let Some(&i) = at.get(p) {
                    children[i] += 1;
                }
            }
        }
        let mut ready: BTreeSet<usize> = (0..run.len()).filter(|i| children[*i] == 0).collect();
        let mut order = Vec::with_capacity(run.len());
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for p in &run[i].1 {
                if let Some(&j) = at.get(p) {
                    children[j] -= 1;
                    if children[j] == 0 {
                        ready.insert(j);
                    }
                }
            }
        }
        // A cycle cannot happen in git; were it to, the rest keeps the walk's order.
        let given: BTreeSet<usize> = order.iter().copied().collect();
        order.extend((0..run.len()).filter(|i| !given.contains(i)));
        let mut slots: Vec<Option<T>> = run.into_iter().map(|(_, _, t)| Some(t)).collect();
        for i in order {
            if let Some(t) = slots[i].take() {
                emit(t);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> ObjectId {
        ObjectId::from_bytes_or_panic(&[n; 20])
    }

    #[test]
    fn within_one_second_children_come_first_and_seconds_keep_their_order() {
        let mut t = Ties::new();
        let mut out = vec![];
        let mut emit = |n: u8| out.push(n);
        let parents = |n: Option<u8>| n.map(id).into_iter().collect::<Parents>();
        // The walk gave 2 (a tag), then 4 (the branch), 3 (4's parent); 2 is 3's parent; then 1, older.
        t.push(Some(10), id(2), parents(Some(1)), 2, &mut emit);
        t.push(Some(10), id(4), parents(Some(3)), 4, &mut emit);
        t.push(Some(10), id(3), parents(Some(2)), 3, &mut emit);
        t.push(Some(9), id(1), parents(None), 1, &mut emit);
        t.finish(&mut emit);
        assert_eq!(out, [4, 3, 2, 1]);
    }
}
