import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { errorText } from '../../src/remote/v2-client.js';

describe("errorText: a server's reason for an error answer, for a reject's reason", () => {
  it("takes a JSON body's error or detail", () => {
    assert.equal(errorText(Buffer.from('{"error":"shape [3, 2] does not match\\n[-1, 4]"}')), 'shape [3, 2] does not match [-1, 4]');
    assert.equal(errorText(Buffer.from('{"detail":[{"loc":["body"],"msg":"field required"}]}')), '[{"loc":["body"],"msg":"field required"}]');
  });

  it("reduces an HTML page to its title, or else to its text without tags, scripts or styles", () => {
    assert.equal(errorText(Buffer.from('<html><head><title>503 Service Unavailable</title></head><body>x</body></html>')), '503 Service Unavailable');
    const untitled = '<html><head><style>p { color: red }</style><script>var a = 1 < 2;</script></head><body><h1>Oops</h1>\n<p>upstream &amp; proxy down</p></body></html>';
    assert.equal(errorText(Buffer.from(untitled)), 'Oops upstream & proxy down');
  });

  it('cuts a long reason to one line of at most 200 bytes, at a whole character', () => {
    const text = errorText(Buffer.from(`${'é'.repeat(150)}\nrest`));
    assert.ok(Buffer.byteLength(text) <= 200);
    assert.equal(text, 'é'.repeat(100));
    assert.doesNotMatch(errorText(Buffer.from('line one\r\nline two')), /[\r\n]/);
  });
});
