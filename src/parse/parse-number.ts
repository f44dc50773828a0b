/**
 * The one number grammar every parser here follows: optional sign, digits with an optional fraction (or a
 * fraction alone), an optional exponent, surrounding spaces or tabs allowed. Hex, 'Infinity', 'NaN' and
 * thousands separators are not numbers.
 */

const DECIMAL = /^[ \t]*[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?[ \t]*$/;

/** The value of a field, NaN when it is not a number, undefined when it is empty (missing). */
export function parseNumberField(text: string): number | undefined {
  if (text.length === 0 || /^[ \t]*$/.test(text)) return undefined;
  return DECIMAL.test(text) ? Number(text) : Number.NaN;
}
