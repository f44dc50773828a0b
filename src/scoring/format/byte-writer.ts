/**
 * A growable byte buffer that rows are written into directly, so that a chunk's output is built without one
 * big concatenated string and its UTF-8 encoding (measured: a third of a worker's formatting time).
 */

const encoder = new TextEncoder();
// 10^-60 .. 10^45: every power the scaling below needs for a float32, subnormals included.
const POWER_OFFSET = 60;
const POWERS_OF_TEN = Array.from({ length: 106 }, (_, i) => Number(`1e${i - POWER_OFFSET}`));

export class ByteWriter {
  bytes: Uint8Array;
  length = 0;

  /** With `memory`, writes there first (growing into new memory only if it fills up). */
  constructor(capacity: number, memory?: ArrayBuffer) {
    this.bytes = memory !== undefined && memory.byteLength >= capacity ? new Uint8Array(memory) : new Uint8Array(Math.max(capacity, 64));
  }

  ensure(extra: number): void {
    const needed = this.length + extra;
    if (needed <= this.bytes.length) return;
    const bigger = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    bigger.set(this.bytes.subarray(0, this.length));
    this.bytes = bigger;
  }

  byte(value: number): void {
    this.ensure(1);
    this.bytes[this.length++] = value;
  }

  /** Text known to be ASCII (numbers, keys): one byte per character. */
  ascii(text: string): void {
    this.ensure(text.length);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < text.length; i++) bytes[at++] = text.charCodeAt(i);
    this.length = at;
  }

  /**
   * A float32 value as the shortest decimal (at most 9 significant digits) that reads back to the same float32.
   * 9 digits suffice for any float32, even with a last digit off by one from the scaling's rounding. Faster than
   * String(value) plus copying, and shorter: String() prints the float32's double expansion, up to 17 digits.
   * Non-finite values as String() does.
   */
  float32(value: number): void {
    if (!Number.isFinite(value) || value === 0) {
      this.ascii(Object.is(value, -0) ? '0' : String(value));
      return;
    }
    this.ensure(24);
    const bytes = this.bytes;
    let at = this.length;
    let v = value;
    if (v < 0) {
      bytes[at++] = 0x2d;
      v = -v;
    }
    let exponent = Math.floor(Math.log10(v));
    if (v < POWERS_OF_TEN[exponent + POWER_OFFSET]!) exponent--;
    else if (v >= POWERS_OF_TEN[exponent + 1 + POWER_OFFSET]!) exponent++;
    // The fewest digits (1..9) whose decimal reads back to this float32. Where the decimal's scale is within
    // 10^±22, mantissa * 10^p is the correctly rounded double of that decimal (Clinger), so Math.fround of it is
    // exactly what parsing the text gives; elsewhere take 9 digits, which always read back.
    let digits = 9;
    let mantissa = Math.round(v / POWERS_OF_TEN[exponent - 8 + POWER_OFFSET]!);
    const target = Math.fround(v);
    // From 6 digits: a value that needs fewer rounds to its shorter digits followed by zeros, which are stripped below.
    for (let k = 6; k < 9; k++) {
      const scale = exponent - k + 1;
      if (scale < -22 || scale > 22) break;
      const candidate = Math.round(scale >= 0 ? v / POWERS_OF_TEN[scale + POWER_OFFSET]! : v * POWERS_OF_TEN[-scale + POWER_OFFSET]!);
      if (candidate >= POWERS_OF_TEN[k + POWER_OFFSET]!) continue; // Rounded up to one more digit: not k digits.
      const back = scale >= 0 ? candidate * POWERS_OF_TEN[scale + POWER_OFFSET]! : candidate / POWERS_OF_TEN[-scale + POWER_OFFSET]!;
      if (Math.fround(back) === target) {
        mantissa = candidate;
        digits = k;
        break;
      }
    }
    if (mantissa >= 1e9) {
      // 9.999999995e… rounded up to 10.00000000e…
      mantissa = Math.round(mantissa / 10);
      exponent++;
    }
    // At most 9 digits: below 2^31, so the digits come from integer arithmetic (a double's % is a library call).
    let m = mantissa | 0;
    while (digits > 1 && m % 10 === 0) {
      m = (m / 10) | 0;
      digits--;
    }
    if (exponent >= -6 && exponent < 9) {
      if (exponent < 0) {
        // 0.000ddd
        bytes[at++] = 0x30;
        bytes[at++] = 0x2e;
        for (let zero = -1; zero > exponent; zero--) bytes[at++] = 0x30;
        for (let i = digits - 1; i >= 0; i--, m = (m / 10) | 0) bytes[at + i] = 0x30 + (m % 10);
        this.length = at + digits;
        return;
      }
      // ddd.ddd, or ddd000 when the integer part is longer than the digits.
      const integerDigits = exponent + 1;
      const total = Math.max(digits, integerDigits);
      const hasPoint = digits > integerDigits;
      for (let i = total - 1; i >= 0; i--) {
        let digit = 0;
        if (i < digits) {
          digit = m % 10;
          m = (m / 10) | 0;
        }
        bytes[i < integerDigits ? at + i : at + i + 1] = 0x30 + digit;
      }
      if (hasPoint) bytes[at + integerDigits] = 0x2e;
      this.length = at + total + (hasPoint ? 1 : 0);
      return;
    }
    // d.ddde+x
    for (let i = digits - 1; i >= 0; i--, m = (m / 10) | 0) bytes[i === 0 ? at : at + i + 1] = 0x30 + (m % 10);
    if (digits > 1) bytes[at + 1] = 0x2e;
    this.length = at + (digits > 1 ? digits + 1 : 1);
    this.byte(0x65);
    this.ascii(exponent < 0 ? `-${-exponent}` : `+${exponent}`);
  }

  /** Any text, as UTF-8. */
  text(text: string): void {
    this.ensure(text.length * 3);
    // ASCII byte by byte (most fields are): encodeInto on a short string measured slower than the loop.
    const bytes = this.bytes;
    let at = this.length;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        this.length = at + encoder.encodeInto(text.slice(i), bytes.subarray(at)).written;
        return;
      }
      bytes[at++] = code;
    }
    this.length = at;
  }

  /** Appends a whole block of bytes at once (a chunk's worth: TypedArray.set, not a loop). */
  append(bytes: Uint8Array): void {
    this.ensure(bytes.length);
    this.bytes.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** Copies source[start, end): a loop, since most copies here are a few bytes long. */
  copy(source: Uint8Array, start: number, end: number): void {
    this.ensure(end - start);
    const bytes = this.bytes;
    let at = this.length;
    for (let i = start; i < end; i++) bytes[at++] = source[i]!;
    this.length = at;
  }

  /** Drops what was written after `length`. */
  truncate(length: number): void {
    this.length = length;
  }

  /** The bytes written, as a view of this writer's buffer (safe to transfer unless it was given its memory). */
  view(): Uint8Array {
    return this.bytes.subarray(0, this.length);
  }
}
