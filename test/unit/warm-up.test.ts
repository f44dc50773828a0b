import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_WARM_UP_PASSES, takeWarmUpSample, warmUp } from '../../src/warm-up.js';

/** A pass whose durations are scripted, on a clock that only the passes move. */
function scripted(durations: number[]) {
  let clock = 0;
  let passes = 0;
  const pass = async () => {
    clock += durations[passes] ?? durations[durations.length - 1]!;
    passes++;
  };
  return { pass, now: () => clock, passes: () => passes };
}

describe('warmUp', () => {
  it('repeats while each pass is clearly faster, and stops at the first that is not', async () => {
    const run = scripted([40, 20, 12, 11.5, 3]);
    const ms = await warmUp(run.pass, run.now);
    assert.equal(run.passes(), 4);
    assert.equal(ms, 40 + 20 + 12 + 11.5);
  });

  it('takes at least two passes, and at most the limit however long it keeps improving', async () => {
    const flat = scripted([5]);
    await warmUp(flat.pass, flat.now);
    assert.equal(flat.passes(), 2);
    const improving = scripted([64, 32, 16, 8, 4, 2, 1, 0.5]);
    await warmUp(improving.pass, improving.now);
    assert.equal(improving.passes(), MAX_WARM_UP_PASSES);
  });
});

describe('takeWarmUpSample', () => {
  it('takes whole records from the start of a chunk, quoted newlines included', () => {
    const chunk = Buffer.from('1,"a\nb"\n2,c\n3,d\n', 'utf8');
    assert.equal(Buffer.from(takeWarmUpSample(chunk, 'csv', 2)).toString('utf8'), '1,"a\nb"\n2,c\n');
    assert.equal(Buffer.from(takeWarmUpSample(chunk, 'csv', 10)).toString('utf8'), chunk.toString('utf8'));
  });
});
