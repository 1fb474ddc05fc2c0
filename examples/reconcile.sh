#!/bin/sh
# Server-side reconcile: brings the Notion database up to date with commits that never passed through
# anyone's hooks (merges in a web UI, pushes from machines without git-notion). Copy it into your
# repository (e.g. .github/git-notion-reconcile.sh); github-actions-reconcile.yml runs it.
#
#   reconcile.sh BEFORE AFTER   the pushed range BEFORE..AFTER (BEFORE empty, all zeros or unknown:
#                               the last 7 days up to AFTER, as for a new branch or a scheduled run)
#
# Writes the replay's JSON summary to $GIT_NOTION_SUMMARY (default git-notion-replay.json) and prints it.
# Exit codes are git notion-replay's: 0 done (or nothing to do), 1 some ticket failed or was ambiguous,
# 2 configuration or token problem. An apply on a database that is already right writes nothing.
set -eu
before="${1:-}"
after="${2:-HEAD}"
out="${GIT_NOTION_SUMMARY:-git-notion-replay.json}"
if [ -n "$before" ] && [ -n "${before##*[!0]*}" ]; then before=""; fi   # all zeros: a new branch
if [ -n "$before" ] && git cat-file -e "$before^{commit}" 2>/dev/null; then
  set -- "$before..$after"
else
  since=$(date -u -d '7 days ago' +%F 2>/dev/null || date -u -v-7d +%F)
  set -- --since "$since" "$after"
fi
status=0
git notion-replay --apply --json "$@" > "$out" || status=$?
cat "$out"
exit "$status"
