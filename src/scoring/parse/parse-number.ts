/**
 * The one number grammar every parser here follows: optional sign, digits with an optional fraction (or a
 * fraction alone), an optional exponent, surrounding spaces or tabs allowed. Hex, 'Infinity', 'NaN' and
 * thousands separators are not numbers.
 */

/** Groups: sign, integer digits, their fraction digits, or the digits of a fraction alone, exponent. */
const DECIMAL = /^[ \t]*([+-]?)(?:(\d+)\.?(\d*)|\.(\d+))(?:[eE]([+-]?\d+))?[ \t]*$/;

/** The value of a field, NaN when it is not a number, undefined when it is empty (missing). */
export function parseNumberField(text: string): number | undefined {
  if (text.length === 0 || /^[ \t]*$/.test(text)) return undefined;
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}

/**
 * The integer a number's text denotes, exactly (a double keeps 53 bits: 9007199254740993 reads as ...992), or
 * undefined when the text is not a number or has a non-zero fraction. `1.5e3` is 1500n. A magnitude of 10^400 or
 * more, out of every integer type's range, comes back as 10^400 with its sign, not as a BigInt of its length.
 */
export function parseExactInteger(text: string): bigint | undefined {
  const match = DECIMAL.exec(text);
  if (match === null) return undefined;
  const [, sign, whole = '', fractionAfterDigits, fractionAlone, exponent = '0'] = match;
  const fraction = fractionAfterDigits ?? fractionAlone ?? '';
  const digits = `${whole}${fraction}`.replace(/^0+/, '');
  const significant = digits.replace(/0+$/, '');
  if (significant === '') return 0n;
  // The value is significant x 10^scale; a negative scale leaves a fraction.
  const scale = Number(exponent) - fraction.length + (digits.length - significant.length);
  if (scale < 0) return undefined;
  const magnitude = significant.length + scale > 400 ? 10n ** 400n : BigInt(significant) * 10n ** BigInt(scale);
  return sign === '-' ? -magnitude : magnitude;
}
