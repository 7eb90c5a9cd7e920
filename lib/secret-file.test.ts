// redactSecrets: the one redaction every command's messages and logs go through. Each form of
// credential a message could carry, written out by hand, and text that must stay as it is.
import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl } from './secret-file.js';

describe('redactSecrets', () => {
  it("replaces a URL's password, wherever the URL is in the text", () => {
    expect(redactSecrets('cannot read results from http://admin:hunter2@127.0.0.1:8086 database x')).toBe(
      'cannot read results from http://admin:***@127.0.0.1:8086 database x',
    );
    expect(redactSecrets('a https://u:p%40ss@h/x and http://v:w@k')).toBe('a https://u:***@h/x and http://v:***@k');
    expect(redactSecrets("'http://admin:s3cr@[::1' is not a URL")).toBe("'http://admin:***@[::1' is not a URL");
  });

  it("replaces InfluxDB 1.x's ?p= and other secrets in a query, and Authorization values", () => {
    expect(redactSecrets('http://h:8086/query?u=admin&p=hunter2&db=x')).toBe('http://h:8086/query?u=admin&p=***&db=x');
    expect(redactSecrets('GET /?token=abc123&x=1')).toBe('GET /?token=***&x=1');
    expect(redactSecrets('authorization: Bearer abcdefghijklmnop')).toBe('authorization: Bearer ***');
    expect(redactSecrets('Basic YWRtaW46aHVudGVyMg==')).toBe('Basic ***');
  });

  it('leaves text without credentials alone', () => {
    for (const t of ['http://127.0.0.1:8086', 'user@host: no URL', 'the token bucket paused the stream', 'http://admin@h:1/ (no password)', '10:30:00 p=0.05'])
      expect(redactSecrets(t)).toBe(t);
  });

  it('redactUrl is redactSecrets for one URL', () => {
    expect(redactUrl('http://a:b@h:1/')).toBe('http://a:***@h:1/');
  });
});
