import type { OutputSink } from '../../src/output/write-output.js';

/** An OutputSink that keeps what is written, for in-process tests. */
export class MemorySink implements OutputSink {
  readonly parts: Buffer[] = [];
  isCommitted = false;
  isAborted = false;

  async write(bytes: Uint8Array | string): Promise<void> {
    this.parts.push(typeof bytes === 'string' ? Buffer.from(bytes) : Buffer.from(bytes));
  }

  async commit(): Promise<void> {
    this.isCommitted = true;
  }

  abort(): void {
    this.isAborted = true;
  }

  text(): string {
    return Buffer.concat(this.parts).toString('utf8');
  }
}
