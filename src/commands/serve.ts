import type { Command } from 'commander';
import { ExitCode } from '../errors.js';
import { formatExplained } from '../config/read-options.js';
import { resolveManifest } from '../config/options.js';
import { resolveServeOptions } from '../config/serve-options.js';
import { startServer } from '../serve/serve-server.js';
import { gatherOptions } from './command-options.js';
import { startRunLog } from './run-log.js';
import { onServeSignals } from './signals.js';

/** `batch-infer serve`: runs until SIGTERM or SIGINT, then drains and returns 0. */
export async function serveCommand(command: Command): Promise<number> {
  const { values, configFile } = gatherOptions(command, 'serve');
  const { settings, explained } = resolveServeOptions(values);
  if (values.printConfig.value) {
    process.stdout.write(formatExplained(explained, configFile));
    return ExitCode.ok;
  }
  const log = startRunLog(settings.logFormat);
  const say = (message: string): void => {
    if (settings.logFormat === 'human' && !settings.isQuiet) process.stderr.write(`batch-infer: ${message}\n`);
  };
  const server = await startServer(settings, {
    onRequest: (record) => log.event('request', { ...record }),
    onEvent: (name, fields) => {
      log.event(name, fields);
      if (name === 'notice') say(String(fields.message));
      if (name === 'ready') say(`models loaded in ${settings.workers} workers: ready`);
      if (name === 'reloaded') say('models reloaded: new requests use the new pool');
      if (name === 'reload-failed') say(`reload failed, the old pool keeps serving: ${String(fields.message)}`);
    },
    // SIGHUP reads the manifest again: the point of a reload is new model files.
    loadManifest: () => resolveManifest(values),
  });
  log.event('listening', { url: server.url, workers: settings.workers });
  say(`listening on ${server.url} (POST /v1/score; SIGHUP reloads the models, SIGTERM stops)`);
  let stopped: (signal: NodeJS.Signals) => void = () => undefined;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => (stopped = resolve));
  const removeHandlers = onServeSignals(stopped, () => void server.reload().catch(() => undefined));
  try {
    // A pool that cannot load its models is fatal: exit with its error rather than serve 503 for ever.
    const failed = server.ready.then(() => new Promise<never>(() => undefined));
    const signal = await Promise.race([stopSignal, failed]);
    log.event('stopping', { signal, graceMs: settings.shutdownGraceMs });
    say(`${signal}: no new requests; finishing those under way`);
  } finally {
    await server.close();
    removeHandlers();
  }
  log.event('stopped', {});
  return ExitCode.ok;
}
