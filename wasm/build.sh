#!/usr/bin/env bash
# Rebuilds the committed WebAssembly modules from their Rust sources (no dependencies):
# - wasm/csv-scan.wasm, the fast CSV path's record scanner and row formatter, from wasm/csv-scan;
# - wasm/tree-walk.wasm, the compiled tree engine's forest walk, from wasm/tree-walk.
# Needs a Rust toolchain with the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown).
# csv-scan/.cargo/config.toml turns on WebAssembly SIMD (simd128), which Node.js has run since v16.4.
# The built files are committed, so installing or testing batch-infer needs no Rust.
set -euo pipefail
cd "$(dirname "$0")"
for crate in csv-scan tree-walk; do
  (cd "$crate" && cargo build --release --locked --target wasm32-unknown-unknown)
  cp "$crate/target/wasm32-unknown-unknown/release/${crate//-/_}.wasm" "$crate.wasm"
  echo "wasm/$crate.wasm: $(wc -c < "$crate.wasm") bytes, sha256 $(sha256sum "$crate.wasm" | cut -d' ' -f1)"
done
