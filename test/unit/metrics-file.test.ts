import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BatchInferError } from '../../src/errors.js';
import { writeMetricsFile, type RunMetrics } from '../../src/output/metrics-file.js';
import { tempDir } from '../helpers/paths.js';
import { parsePrometheusText, sampleValue } from '../helpers/prometheus-text.js';

function metrics(overrides: Partial<RunMetrics> = {}): RunMetrics {
  return {
    command: 'run',
    exitCode: 0,
    rowsIn: 5000,
    rowsScored: 4990,
    rowsRejected: 10,
    phasesMs: { startup: 1650, warm_up: 120, parallel: 900, wall: 2950 },
    inferMsByModel: { iforest: 1700, autoencoder: 45 },
    finishedAt: new Date('2026-12-06T08:00:00Z'),
    ...overrides,
  };
}

describe('--metrics-file (Prometheus text exposition format)', () => {
  it("writes the last run's rows, phases, per-model inference time and exit status, as a real parser reads them", async (t) => {
    const file = join(tempDir(t), 'batch-infer.prom');
    await writeMetricsFile(file, metrics());
    const families = parsePrometheusText(readFileSync(file, 'utf8'));
    const run = { command: 'run' };
    assert.equal(sampleValue(families, 'batch_infer_last_run_rows_in', run), 5000);
    assert.equal(sampleValue(families, 'batch_infer_last_run_rows_scored', run), 4990);
    assert.equal(sampleValue(families, 'batch_infer_last_run_rows_rejected', run), 10);
    assert.equal(sampleValue(families, 'batch_infer_last_run_exit_status', run), 0);
    assert.equal(sampleValue(families, 'batch_infer_last_run_phase_seconds', { ...run, phase: 'startup' }), 1.65);
    assert.equal(sampleValue(families, 'batch_infer_last_run_phase_seconds', { ...run, phase: 'wall' }), 2.95);
    assert.equal(sampleValue(families, 'batch_infer_last_run_model_inference_seconds', { ...run, model: 'iforest' }), 1.7);
    assert.equal(sampleValue(families, 'batch_infer_last_run_timestamp_seconds', run), Date.parse('2026-12-06T08:00:00Z') / 1000);
    assert.equal(sampleValue(families, 'batch_infer_last_success_timestamp_seconds', run), Date.parse('2026-12-06T08:00:00Z') / 1000);
    assert.ok(families.every((family) => family.type === 'GAUGE' && family.help.length > 0));
  });

  it('keeps the previous last-success time when a run fails, and records the failure', async (t) => {
    const file = join(tempDir(t), 'batch-infer.prom');
    await writeMetricsFile(file, metrics({ exitCode: 1, finishedAt: new Date('2026-12-06T08:00:00Z') }));
    await writeMetricsFile(file, metrics({ exitCode: 69, rowsScored: 0, finishedAt: new Date('2026-12-06T08:01:00Z') }));
    const families = parsePrometheusText(readFileSync(file, 'utf8'));
    assert.equal(sampleValue(families, 'batch_infer_last_run_exit_status', { command: 'run' }), 69);
    assert.equal(sampleValue(families, 'batch_infer_last_run_timestamp_seconds', { command: 'run' }), Date.parse('2026-12-06T08:01:00Z') / 1000);
    assert.equal(sampleValue(families, 'batch_infer_last_success_timestamp_seconds', { command: 'run' }), Date.parse('2026-12-06T08:00:00Z') / 1000);
  });

  it('has no last-success time when no run has succeeded, even over a file that is not ours', async (t) => {
    const file = join(tempDir(t), 'batch-infer.prom');
    writeFileSync(file, 'this is { not prometheus\n');
    await writeMetricsFile(file, metrics({ exitCode: 70 }));
    const families = parsePrometheusText(readFileSync(file, 'utf8'));
    assert.equal(sampleValue(families, 'batch_infer_last_success_timestamp_seconds', { command: 'run' }), undefined);
    assert.equal(sampleValue(families, 'batch_infer_last_run_exit_status', { command: 'run' }), 70);
  });

  it('replaces the file whole and leaves no temporary file beside it', async (t) => {
    const dir = tempDir(t);
    await writeMetricsFile(join(dir, 'batch-infer.prom'), metrics());
    await writeMetricsFile(join(dir, 'batch-infer.prom'), metrics({ rowsIn: 7 }));
    assert.deepEqual(readdirSync(dir), ['batch-infer.prom']);
  });

  it('names --metrics-file and the path when the directory is missing', async (t) => {
    const file = join(tempDir(t), 'missing', 'batch-infer.prom');
    await assert.rejects(writeMetricsFile(file, metrics()), (error: unknown) => error instanceof BatchInferError && error.message === `--metrics-file ${file}: no such directory`);
  });
});
