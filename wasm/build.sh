#!/usr/bin/env bash
# Rebuilds wasm/csv-scan.wasm, the fast CSV path's record scanner, from wasm/csv-scan (Rust, no dependencies).
# Needs a Rust toolchain with the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown).
# csv-scan/.cargo/config.toml turns on WebAssembly SIMD (simd128), which Node.js has run since v16.4.
# The built file is committed, so installing or testing batch-infer needs no Rust.
set -euo pipefail
cd "$(dirname "$0")/csv-scan"
cargo build --release --locked --target wasm32-unknown-unknown
cp target/wasm32-unknown-unknown/release/csv_scan.wasm ../csv-scan.wasm
echo "wasm/csv-scan.wasm: $(wc -c < ../csv-scan.wasm) bytes, sha256 $(sha256sum ../csv-scan.wasm | cut -d' ' -f1)"
