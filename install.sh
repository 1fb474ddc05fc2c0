#!/usr/bin/env bash
# Installs git-notion, git-notion-replay, the hooks' own git-notion-hook (statically linked on Linux) and
# notion-sandbox with `cargo install --locked` (into PREFIX/bin if PREFIX is set), then, when run inside a
# git repository (or given --repo DIR), installs the hooks there (post-commit, post-merge, post-rewrite
# and post-checkout, which see every branch move at the next hook; an earlier reference-transaction
# install is replaced; an existing hook is kept and chained, a hook manager's are left alone with the
# snippet to use instead), and ends with `git notion doctor` (once the repository is configured) and the
# next step.
#
#   ./install.sh [--repo DIR] [--no-hooks]   install (safe to run again: it changes nothing the second time)
#   ./install.sh --uninstall [--repo DIR]    remove the hooks from the repository, restoring what was there
#
# Exit codes: 0 done; 1 the build failed; 2 usage, or the hooks were left to a hook manager (see above).
set -euo pipefail

src="$(cd "$(dirname "$0")" && pwd)"
target="$PWD"
mode=install
hooks=yes
while [ $# -gt 0 ]; do
  case "$1" in
    --uninstall) mode=uninstall ;;
    --no-hooks) hooks=no ;;
    --repo) target="${2:?--repo needs a directory}"; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install.sh: unknown option $1 (see ./install.sh --help)" >&2; exit 2 ;;
  esac
  shift
done

root="${PREFIX:-${CARGO_INSTALL_ROOT:-${CARGO_HOME:-$HOME/.cargo}}}"
bin="$root/bin"

# This platform's release archive (dist/package.sh), when one is published for this version: installed
# without a build, its SHA-256 checked. GIT_NOTION_RELEASE_URL names where the archives are (a URL curl
# reads, file:// included); by default the GitHub releases of the origin this checkout was cloned from;
# "off" always builds.
from_release() {
  local version target url archive tmp
  version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$src/Cargo.toml" | head -1)"
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) target=x86_64-unknown-linux-gnu ;;
    Linux-aarch64) target=aarch64-unknown-linux-gnu ;;
    Darwin-arm64) target=aarch64-apple-darwin ;;
    Darwin-x86_64) target=x86_64-apple-darwin ;;
    *) return 1 ;;
  esac
  url="${GIT_NOTION_RELEASE_URL:-}"
  if [ -z "$url" ]; then
    local origin repo
    origin="$(git -C "$src" remote get-url origin 2>/dev/null || true)"
    case "$origin" in
      https://github.com/*|git@github.com:*)
        repo="${origin#*github.com?}"; repo="${repo%.git}"
        url="https://github.com/$repo/releases/download/v$version" ;;
      *) return 1 ;;
    esac
  fi
  [ "$url" = off ] && return 1
  command -v curl >/dev/null 2>&1 || return 1
  archive="git-notion-$version-$target.tar.gz"
  tmp="$(mktemp -d)"
  if ! curl -fsSL --max-time 60 "$url/$archive" -o "$tmp/$archive" 2>/dev/null \
    || ! curl -fsSL --max-time 60 "$url/$archive.sha256" -o "$tmp/$archive.sha256" 2>/dev/null; then
    echo "No release archive $archive at $url: building from source instead."
    rm -rf "$tmp"; return 1
  fi
  local sum
  if command -v sha256sum >/dev/null 2>&1; then sum="$(cd "$tmp" && sha256sum "$archive")"; else sum="$(cd "$tmp" && shasum -a 256 "$archive")"; fi
  if [ "${sum%% *}" != "$(cut -d' ' -f1 < "$tmp/$archive.sha256")" ]; then
    echo "install.sh: $archive does not match its SHA-256: not installed, building from source instead." >&2
    rm -rf "$tmp"; return 1
  fi
  tar -C "$tmp" -xzf "$tmp/$archive"
  mkdir -p "$bin"
  for b in git-notion git-notion-replay git-notion-hook notion-sandbox; do
    # Renamed into place: a hook running the old binary keeps it until it exits.
    cp "$tmp/git-notion-$version-$target/$b" "$bin/.$b.new" && chmod 755 "$bin/.$b.new" && mv -f "$bin/.$b.new" "$bin/$b"
  done
  rm -rf "$tmp"
  echo "Installed the release archive $archive into $bin (SHA-256 checked; nothing built)."
  released=yes
}

released=no
if [ "$mode" = install ] && from_release; then
  "$bin/git-notion" manpages "$root/share/man/man1" >/dev/null
  echo "Installed git-notion, git-notion-replay and notion-sandbox: $("$bin/git-notion" --version)"
  case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "Add them to your PATH (git runs \`git notion\` from there):  export PATH=\"$bin:\$PATH\"" ;;
  esac
elif [ "$mode" = install ]; then
  if ! command -v cargo >/dev/null 2>&1; then
    echo "install.sh: cargo is needed (https://rustup.rs), then run install.sh again" >&2
    exit 1
  fi
  echo "Building and installing into $bin (cargo install --locked; the first build compiles ~300 crates,"
  echo "about 3 to 4 minutes on a laptop; later runs reuse $src/target) ..."
  # One target directory (the checkout's, or CARGO_TARGET_DIR): a second run, and the hook binary's
  # static link below, reuse what was built.
  target_dir="${CARGO_TARGET_DIR:-$src/target}"
  cargo install --locked --quiet --root "$root" --path "$src" --target-dir "$target_dir" || exit 1
  cargo install --locked --quiet --root "$root" --path "$src/notion-sandbox" --target-dir "$target_dir" || exit 1
  # The hooks' own binary, statically linked where the C library allows (Linux with glibc's static
  # libraries): it starts in about half the time of a dynamic one, and a rebase runs it once per commit.
  if [ "$(uname -s)" = Linux ]; then
    if cargo rustc --locked --quiet --release --manifest-path "$src/Cargo.toml" --target-dir "$target_dir" \
        --bin git-notion-hook -- -C target-feature=+crt-static -C relocation-model=static >/dev/null 2>&1 \
      && cp "$target_dir/release/git-notion-hook" "$bin/.git-notion-hook.new" \
      && "$bin/.git-notion-hook.new" >/dev/null 2>&1; then
      # Renamed into place: a hook running the old one keeps it until it exits.
      mv -f "$bin/.git-notion-hook.new" "$bin/git-notion-hook"
    else
      rm -f "$bin/.git-notion-hook.new"
      echo "(git-notion-hook stays dynamically linked: no static C library here; each hook costs ~0.3 ms more)"
    fi
  fi
  echo "Installed git-notion, git-notion-replay and notion-sandbox: $("$bin/git-notion" --version)"
  # Man pages where man finds them from PATH (PREFIX/bin → PREFIX/share/man): `git notion --help`,
  # `git help notion` and `man git-notion-sync` open them.
  "$bin/git-notion" manpages "$root/share/man/man1" >/dev/null
  echo "Man pages in $root/share/man/man1 (git notion --help). Completions: source <(git notion completions bash)"
  case ":$PATH:" in
    *":$bin:"*) ;;
    *) echo "Add them to your PATH (git runs \`git notion\` from there):  export PATH=\"$bin:\$PATH\"" ;;
  esac
elif [ ! -x "$bin/git-notion" ]; then
  echo "install.sh: $bin/git-notion is not installed (set PREFIX to where it is)" >&2
  exit 2
fi

status=0
repo_root="$(git -C "$target" rev-parse --show-toplevel 2>/dev/null || true)"
if [ "$hooks" = yes ] && [ -n "$repo_root" ]; then
  if [ "$repo_root" = "$(git -C "$src" rev-parse --show-toplevel 2>/dev/null || true)" ]; then
    echo
    echo "Hooks: not installed in git-notion's own checkout. In your repository run"
    echo "  cd your-repo && $src/install.sh      (or: git notion hooks install)"
    repo_root=""
  else
    echo
    echo "Hooks in $repo_root:"
    (cd "$repo_root" && "$bin/git-notion" hooks "$mode") || status=$?
  fi
fi

if [ "$mode" = uninstall ]; then
  echo "The binaries stay installed; remove them with:  cargo uninstall --root \"$root\" git-notion notion-sandbox"
  echo "(installed from a release archive:  rm \"$bin\"/git-notion \"$bin\"/git-notion-replay \"$bin\"/git-notion-hook \"$bin\"/notion-sandbox)"
  exit "$status"
fi

if [ -n "$repo_root" ] && [ ! -e "$repo_root/.git-notion.toml" ]; then
  # Not configured yet: doctor would only mark the token and the database missing. Say what is next.
  echo
  if [ -n "${NOTION_TOKEN:-}${NOTION_API_KEY:-}${NOTION_API_TOKEN:-}" ]; then
    echo "Next: git notion init --database <Notion database URL>   (writes .git-notion.toml from its schema;"
    echo "      your NOTION_TOKEN is set), then git notion doctor"
  else
    echo "Next: export NOTION_TOKEN=<your integration's secret>, then"
    echo "      git notion init --database <Notion database URL>   (writes .git-notion.toml from its schema)"
  fi
elif [ -n "$repo_root" ]; then
  echo
  echo "git notion doctor:"
  doctor=0
  (cd "$repo_root" && "$bin/git-notion" doctor) || doctor=$?
  echo
  if [ "$doctor" -ne 0 ]; then
    echo "Next: fix what doctor marked ✗ (each has its fix), then run  git notion doctor"
  else
    echo "Next: commit as usual; a message naming a ticket (#042, TASK-17) updates its page."
  fi
else
  echo
  echo "Next: cd into your repository and run $src/install.sh there (or git notion hooks install)."
  echo "Try it without Notion:  notion-sandbox --seed zh   (then follow the README's quick start)"
fi
exit "$status"
