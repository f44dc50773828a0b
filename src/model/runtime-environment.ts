/**
 * What onnxruntime does on its own, kept quiet by default. Native code writes straight to file descriptor 2, past
 * -q and --log-format json, and onnxruntime-node has no hook to hand those lines to our logger.
 *
 * - Telemetry: onnxruntime 1.30 keeps a telemetry database under ~/.cache/Microsoft/DeveloperTools on every run,
 *   and warns in ANSI colour when it cannot (a read-only or missing home). ORT_DISABLE_TELEMETRY=1 turns it off;
 *   a user who sets ORT_DISABLE_TELEMETRY=0 keeps it on.
 * - Log lines: below 'fatal' they are dropped unless BATCH_INFER_ORT_LOG_LEVEL asks for them. Errors still reach
 *   the user, as the exception each failed call throws, through the tool's own messages.
 */

export type NativeLogLevel = 'verbose' | 'info' | 'warning' | 'error' | 'fatal';

const LEVELS: readonly NativeLogLevel[] = ['verbose', 'info', 'warning', 'error', 'fatal'];

/**
 * Read by the native library when its environment is created (the first session in the process), so this must
 * run before that: in the main thread before any worker starts, since a worker's process.env is only a copy.
 */
export function applyRuntimeDefaults(env: NodeJS.ProcessEnv = process.env): void {
  // Empty counts as unset, as for the log level.
  if ((env.ORT_DISABLE_TELEMETRY ?? '') === '') env.ORT_DISABLE_TELEMETRY = '1';
}

/** The native log level to use: BATCH_INFER_ORT_LOG_LEVEL when it names one, else 'fatal'. */
export function nativeLogLevel(env: NodeJS.ProcessEnv = process.env): NativeLogLevel {
  const asked = env.BATCH_INFER_ORT_LOG_LEVEL?.trim().toLowerCase();
  return LEVELS.find((level) => level === asked) ?? 'fatal';
}

/** The same level as onnxruntime's session option logSeverityLevel (0 verbose ... 4 fatal). */
export function nativeLogSeverity(level: NativeLogLevel): 0 | 1 | 2 | 3 | 4 {
  return LEVELS.indexOf(level) as 0 | 1 | 2 | 3 | 4;
}
