#!/usr/bin/env bash
# Builds the aibom binary the Containerfile packages: statically linked against glibc
# (`-C target-feature=+crt-static` for x86_64-unknown-linux-gnu), offline-capable (Debian's
# toolchain and crates.io; the musl target would need static.rust-lang.org). Writes
# target/image/aibom and refuses a binary that is not static or does not run.
#
#   deploy/image/build.sh            # then: podman build -t aibom:0.1.0 .
#
# --target is given even though it is the host's: RUSTFLAGS then apply to the binary only, not
# to build scripts and proc macros (which must stay dynamic). The release profile is Cargo.toml's;
# the copy in target/image leaves out the DWARF line tables (`strip --strip-debug`) and keeps the
# symbol table, so panic backtraces still name functions.
set -euo pipefail
cd "$(dirname "$0")/../.."
target=x86_64-unknown-linux-gnu
RUSTFLAGS="${RUSTFLAGS:+$RUSTFLAGS }-C target-feature=+crt-static" \
  cargo build --release --locked --target "$target" --bin aibom "$@"
bin="${CARGO_TARGET_DIR:-target}/$target/release/aibom"

# Static: no program interpreter (ld-linux) and no shared library needed.
if readelf -lW "$bin" | grep -q 'INTERP'; then
  echo "$bin: has a program interpreter (dynamically linked)" >&2
  exit 1
fi
if readelf -dW "$bin" | grep -q '(NEEDED)'; then
  echo "$bin: needs shared libraries:" >&2
  readelf -dW "$bin" | grep '(NEEDED)' >&2
  exit 1
fi
# glibc entry points that load shared objects at run time even in a static binary: NSS (user,
# group, host and service lookups), iconv and locales. Any of them would fail in an image with
# no libraries. (dlopen itself is always linked, by the character-set conversion code; it
# loads nothing unless one of these is called.)
nss='getpw(nam|uid|ent)|getgr(nam|gid|ent)|getspnam|initgroups|getlogin|__nss_module_load'
net='getaddrinfo|gethostby(name|addr)|getservby(name|port)|getprotobyname'
loaders="$(nm "$bin" | awk '$2 ~ /^[TtWw]$/ {print $3}' |
  grep -E "^($nss|$net|iconv_open|setlocale|newlocale)(_r)?\$" || true)"
if [ -n "$loaders" ]; then
  echo "$bin: links glibc functions that load shared objects at run time:" >&2
  echo "$loaders" >&2
  exit 1
fi
"$bin" --version >/dev/null

mkdir -p target/image
strip --strip-debug -o target/image/aibom.tmp "$bin"
mv target/image/aibom.tmp target/image/aibom
echo "target/image/aibom: static, $(stat -c %s target/image/aibom) bytes," \
  "$(target/image/aibom --version)"
