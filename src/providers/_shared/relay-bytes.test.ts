import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { countKeys, editTopLevel, topLevelMembers, type TopLevelEdit } from './relay-bytes.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const omit = ['metadata', 'models', 'provider'];

/** The parse with the hints left out, as the request's native body holds it. */
function nativeBody(text: string): Record<string, unknown> {
  const body = JSON.parse(text) as Record<string, unknown>;
  for (const field of omit) delete body[field];
  return body;
}

/** The edit convert-request makes for `text`. */
function editFor(text: string, add: Record<string, string> = {}): TopLevelEdit {
  return { replace: { model: '"gpt-4o-mini"' }, omit, add, keys: countKeys(nativeBody(text)) };
}

/** What the parsed-and-serialised path sends: the parse, hints left out, `model` replaced. */
function expected(text: string): Record<string, unknown> {
  return { ...nativeBody(text), model: 'gpt-4o-mini' };
}

describe('editTopLevel', () => {
  const bodies = [
    '{"model":"fast","messages":[{"role":"user","content":"hi"}]}',
    ' {\n  "model" : "fast" ,\r\n\t"messages": [ {"role": "user", "content": "a \\"quoted\\" word, a \\\\ backslash \\\\\\" and {braces} [brackets] , commas"} ] }\n',
    '{"messages":[{"role":"user","content":"日本語 😀 \\u00e9 \\u2028 \\"}"}],"model":"fast","temperature":0.2,"stream":true,"n":1,"seed":-3e2,"logprobs":false,"user":null}',
    '{"model":"fast","metadata":{"env":"prod"},"models":["a","b"],"provider":{"order":["x"]},"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"array","items":[{},[]]}}}}}]}',
    '{"model":"fast","messages":[{"role":"user","content":"ends in a backslash \\\\"}],"x":{"\\"":"\\\\"}}',
  ];

  it('sends what parsing and serialising would: hints left out, model replaced, the rest byte for byte', () => {
    for (const text of bodies) {
      const edited = editTopLevel(bytes(text), editFor(text));
      assert.ok(edited, text);
      assert.deepEqual(JSON.parse(edited.toString('utf8')), expected(text), text);
    }
  });

  it('keeps the bytes of the members it does not touch', () => {
    const content = '"content": "a \\"quoted\\" word \\u00e9"';
    const text = `{"model":"fast","messages":[{"role":"user", ${content}}]}`;
    const edited = editTopLevel(bytes(text), editFor(text))!.toString('utf8');
    assert.ok(edited.includes(content), edited);
    assert.equal(edited.startsWith('{"model":"gpt-4o-mini",'), true, edited);
  });

  it('appends a member, unless the body has it already', () => {
    const usage = { stream_options: '{"include_usage":true}' };
    const plain = '{"model":"fast","stream":true,"messages":[]}';
    const edited = editTopLevel(bytes(plain), editFor(plain, usage))!;
    assert.deepEqual(JSON.parse(edited.toString('utf8')), { model: 'gpt-4o-mini', stream: true, messages: [], stream_options: { include_usage: true } });
    const withOptions = '{"model":"fast","stream":true,"stream_options":{},"messages":[]}';
    assert.equal(editTopLevel(bytes(withOptions), editFor(withOptions, usage)), undefined);
  });

  it('declines what it cannot read with certainty, so the parsed body is serialised instead', () => {
    for (const text of ['[1,2]', '"text"', '{"mod\\u0065l":"fast"}', '{"model":"fast"} {}', '{"model":"fast",}', '{"model" "fast"}', '{"model":"fast', '']) {
      assert.equal(editTopLevel(bytes(text), { replace: { model: '"gpt-4o-mini"' }, omit, add: {}, keys: 1 }), undefined, text);
    }
  });

  it('declines a body that repeats a key at any depth: JSON.parse kept only the last value, the bytes hold both', () => {
    for (const text of [
      '{"model":"first","messages":[],"model":"second"}',
      '{"model":"fast","messages":[{"role":"user","content":"jane.doe@example.com","content":"hello"}]}',
      '{"model":"fast","messages":[{"role":"user","content":"secret"}],"messages":[{"role":"user","content":"hello"}]}',
      '{"model":"fast","messages":[],"tools":[{"type":"function","function":{"name":"a","name":"b"}}]}',
    ]) {
      assert.equal(editTopLevel(bytes(text), editFor(text)), undefined, text);
    }
    // A repeated hint field is left out either way.
    const hints = '{"model":"fast","metadata":{"a":"1"},"metadata":{"b":"2"},"messages":[]}';
    assert.deepEqual(JSON.parse(editTopLevel(bytes(hints), editFor(hints))!.toString('utf8')), { model: 'gpt-4o-mini', messages: [] });
  });

  it('reads an empty object and the members of a nested body', () => {
    assert.deepEqual(topLevelMembers(bytes(' {} ')), []);
    const text = '{"a":{"b":[1,{"c":"}"}]},"d":"e"}';
    assert.deepEqual(
      topLevelMembers(bytes(text))!.map((member) => [member.key, text.slice(member.start, member.end)]),
      [['a', '"a":{"b":[1,{"c":"}"}]}'], ['d', '"d":"e"']],
    );
  });
});
