/**
 * What the splitter hands on: a chunk of whole records (or one rejected line) with its place in the input. The
 * snapshot pipeline, the workers' reject path and the bench pass these around without needing the splitter.
 */

export interface RejectedLine {
  /** 1-based physical line number. */
  line: number;
  /**
   * `too-long`: the line alone is longer than the limit (its bytes were dropped). `unclosed-quote`: a quote opened
   * on this line leaves the record running past the limit. `unclosed-quote-at-end`: the input ends inside it.
   */
  kind: 'too-long' | 'unclosed-quote' | 'unclosed-quote-at-end';
  /** The line's size as far as it was read, its line end included. */
  bytes: number;
  /** Its first 200 bytes when too long, else the whole line (without its line end), for the reject. */
  text: string;
}

export interface RawChunk {
  /** Position of the chunk in the input, from 0. */
  index: number;
  /** The chunk's bytes: whole records, each ending in '\n' except perhaps the input's last. */
  bytes: Uint8Array;
  /** 1-based physical line number of the chunk's first byte. */
  firstLine: number;
  /** Record ends seen in the chunk (blank lines included); the worker's parse is the authoritative count. */
  records: number;
  /** Set when the chunk is one line that the splitter rejected (see RejectedLine); `bytes` is then empty. */
  rejected?: RejectedLine;
  /** Says that nothing reads `bytes` any more, so that their memory can hold later input. */
  release?: () => void;
}
