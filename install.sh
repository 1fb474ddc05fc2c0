#!/usr/bin/env bash
# Installs git-notion, git-notion-replay and notion-sandbox with cargo (into PREFIX/bin if PREFIX is set),
# then shows how to try them. Safe to run twice.
set -euo pipefail
cd "$(dirname "$0")"
if ! command -v cargo >/dev/null 2>&1; then
  echo "install.sh: cargo is needed (https://rustup.rs), then run ./install.sh again" >&2
  exit 2
fi
root_args=()
if [ -n "${PREFIX:-}" ]; then root_args=(--root "$PREFIX"); fi
cargo install --locked --quiet "${root_args[@]}" --path .
cargo install --locked --quiet "${root_args[@]}" --path notion-sandbox
bin="${PREFIX:+$PREFIX/bin}"
bin="${bin:-${CARGO_HOME:-$HOME/.cargo}/bin}"
echo "Installed git-notion, git-notion-replay and notion-sandbox into $bin"
case ":$PATH:" in *":$bin:"*) ;; *) echo "Add it to your PATH:  export PATH=\"$bin:\$PATH\"";; esac
"$bin/git-notion" --version
echo
echo "Next: try the Notion stand-in:  notion-sandbox --seed zh   (prints the URL and token to export)"
