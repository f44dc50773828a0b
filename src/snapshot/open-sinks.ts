/** Opens a snapshot's output (stdout when none is given) and rejects, before any row is scored. */

import { openFileSink, openStdoutSink, type OutputSink } from '../output/write-output.js';

export interface SnapshotSinks {
  output: OutputSink;
  rejects: OutputSink | undefined;
}

function openSink(target: string | OutputSink | undefined, flag: string): OutputSink | undefined {
  if (typeof target === 'string') return openFileSink(target, flag);
  return target;
}

export function openSinks(output: string | OutputSink | undefined, rejects: string | OutputSink | undefined): SnapshotSinks {
  const opened = output === undefined ? openStdoutSink() : openSink(output, '--output')!;
  try {
    return { output: opened, rejects: openSink(rejects, '--rejects') };
  } catch (error) {
    opened.abort();
    throw error;
  }
}
