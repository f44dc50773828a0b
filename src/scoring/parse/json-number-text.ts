/**
 * The source text of a number in an NDJSON line. JSON.parse rounds every number to a double (an int64 such as
 * 9007199254740993 comes back as ...992), and Node 20's JSON.parse does not give a reviver the source text, so the
 * few values that need their digits (integers past 2^53, values beyond a type's range, for messages) are found
 * again in the line. Only for lines JSON.parse accepted: the scan trusts the syntax.
 */

const WHITESPACE = new Set([' ', '\t', '\n', '\r']);

function skipWhitespace(json: string, pos: number): number {
  while (pos < json.length && WHITESPACE.has(json[pos]!)) pos++;
  return pos;
}

/** Where the string starting at json[pos] (its opening quote) ends, after its closing quote. */
function stringEnd(json: string, pos: number): number {
  let i = pos + 1;
  while (i < json.length && json[i] !== '"') i += json[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Where the value starting at json[pos] ends. */
function valueEnd(json: string, pos: number): number {
  const first = json[pos];
  if (first === '"') return stringEnd(json, pos);
  if (first !== '{' && first !== '[') {
    // A number, true, false or null: up to the next separator.
    let i = pos;
    while (i < json.length && !WHITESPACE.has(json[i]!) && json[i] !== ',' && json[i] !== '}' && json[i] !== ']') i++;
    return i;
  }
  let depth = 0;
  let i = pos;
  while (i < json.length) {
    const c = json[i]!;
    if (c === '"') {
      i = stringEnd(json, i);
      continue;
    }
    if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
    i++;
    if (depth === 0) return i;
  }
  return i;
}

/**
 * The text of the number the top-level `key` of the JSON object `json` holds, as written; undefined when the key
 * is absent or holds no number. A key given twice counts last, as in JSON.parse.
 */
export function findNumberText(json: string, key: string): string | undefined {
  let found: string | undefined;
  let pos = skipWhitespace(json, 0) + 1;
  for (;;) {
    pos = skipWhitespace(json, pos);
    if (json[pos] !== '"') return found;
    const nameEnd = stringEnd(json, pos);
    const name = JSON.parse(json.slice(pos, nameEnd)) as string;
    pos = skipWhitespace(json, skipWhitespace(json, nameEnd) + 1);
    const end = valueEnd(json, pos);
    if (name === key) found = /^-?\d/.test(json.slice(pos, pos + 2)) ? json.slice(pos, end) : undefined;
    pos = skipWhitespace(json, end);
    if (json[pos] !== ',') return found;
    pos++;
  }
}
