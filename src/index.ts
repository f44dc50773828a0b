/**
 * The library entry: what a Node service needs to keep a pool warm and score snapshots through it (the CLI's
 * `run` and `replay` are built from the same calls). See docs/library.md.
 */

export { BatchInferError, ExitCode, describeError, type ErrorCode } from './errors.js';
export { loadManifest, type Manifest } from './model/manifest.js';
export type { InputRequest } from './input/read-input.js';
export { openFileSink, type OutputSink } from './output/write-output.js';
export type { Isolation } from './pool/scoring-pool.js';
export { startPool } from './snapshot/start-pool.js';
export { scoreSnapshot, type Deadline, type PoolHandle, type RunProgress, type SnapshotHooks, type SnapshotOptions, type SnapshotPool } from './snapshot/score-snapshot.js';
export { snapshotOptions } from './config/snapshot-defaults.js';
export { runSnapshot, type RunOptions } from './snapshot/run-snapshot.js';
export type { RunTiming } from './snapshot/timing.js';
export { findInputs, type ReplayInput } from './replay/find-inputs.js';
export { runReplay, type ReplayHooks, type ReplayOptions, type ReplaySummary, type SnapshotResult } from './replay/run-replay.js';
export { startServer, type RequestRecord, type ServeHooks, type ServeServer } from './serve/serve-server.js';
export { serveSettings, type ServeSettings, type SnapshotDefaults } from './config/serve-options.js';
