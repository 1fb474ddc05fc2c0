#!/usr/bin/env bash
# Builds the release archive of one target: git-notion, git-notion-replay, git-notion-hook (statically
# linked on Linux with glibc, as install.sh links it) and notion-sandbox, with README.md, then its SHA-256
# beside it. Used by .github/workflows/release.yml on each platform; runs wherever cargo does.
#
#   dist/package.sh [TARGET] [OUTDIR]    default: this machine's target, dist/out
#
# Writes OUTDIR/git-notion-VERSION-TARGET.tar.gz (.zip for Windows) and .sha256, and prints the archive's
# path. DIST_PROFILE=dev builds unoptimised (the tests); CARGO_TARGET_DIR is honoured.
set -euo pipefail
src="$(cd "$(dirname "$0")/.." && pwd)"
host="$(rustc -vV | sed -n 's/^host: //p')"
target="${1:-$host}"
out="${2:-$src/dist/out}"
profile="${DIST_PROFILE:-release}"
target_dir="${CARGO_TARGET_DIR:-$src/target}"
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$src/Cargo.toml" | head -1)"
name="git-notion-$version-$target"
exe=""
case "$target" in *windows*) exe=".exe" ;; esac
dir_profile="$profile"
[ "$profile" = dev ] && dir_profile=debug

echo "dist: building $name ($profile) ..." >&2
cargo build --locked --quiet --profile "$profile" --target "$target" \
  --manifest-path "$src/Cargo.toml" -p git-notion -p notion-sandbox --bins
case "$target" in
  *-linux-gnu)
    # The hooks' binary, static: it starts faster than sh (docs/benchmarks.md).
    cargo rustc --locked --quiet --profile "$profile" --target "$target" \
      --manifest-path "$src/Cargo.toml" -p git-notion --bin git-notion-hook -- \
      -C target-feature=+crt-static -C relocation-model=static ;;
esac
bins="$target_dir/$target/$dir_profile"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name" "$out"
for b in git-notion git-notion-replay git-notion-hook notion-sandbox; do
  cp "$bins/$b$exe" "$stage/$name/"
done
cp "$src/README.md" "$stage/$name/"
case "$target" in
  *windows*)
    archive="$out/$name.zip"
    rm -f "$archive"
    (cd "$stage" && 7z a -tzip -bd "$archive" "$name" >/dev/null) ;;
  *)
    archive="$out/$name.tar.gz"
    tar -C "$stage" -czf "$archive" "$name" ;;
esac
if command -v sha256sum >/dev/null 2>&1; then
  (cd "$out" && sha256sum "$(basename "$archive")" > "$(basename "$archive").sha256")
else
  (cd "$out" && shasum -a 256 "$(basename "$archive")" > "$(basename "$archive").sha256")
fi
echo "$archive"
