import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editTopLevel, topLevelMembers } from './relay-bytes.ts';

const bytes = (text: string) => Buffer.from(text, 'utf8');
const edit = { replace: { model: '"gpt-4o-mini"' }, omit: ['metadata', 'models', 'provider'], add: {} };

/** What the parsed-and-serialised path sends: the parse, hints left out, `model` replaced. */
function expected(text: string): Record<string, unknown> {
  const body = JSON.parse(text) as Record<string, unknown>;
  for (const field of edit.omit) delete body[field];
  return { ...body, model: 'gpt-4o-mini' };
}

describe('editTopLevel', () => {
  const bodies = [
    '{"model":"fast","messages":[{"role":"user","content":"hi"}]}',
    ' {\n  "model" : "fast" ,\r\n\t"messages": [ {"role": "user", "content": "a \\"quoted\\" word, a \\\\ backslash \\\\\\" and {braces} [brackets] , commas"} ] }\n',
    '{"messages":[{"role":"user","content":"日本語 😀 \\u00e9 \\u2028 \\"}"}],"model":"fast","temperature":0.2,"stream":true,"n":1,"seed":-3e2,"logprobs":false,"user":null}',
    '{"model":"fast","metadata":{"env":"prod"},"models":["a","b"],"provider":{"order":["x"]},"messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"array","items":[{},[]]}}}}}]}',
    '{"model":"first","messages":[],"model":"second"}',
    '{"model":"fast","messages":[{"role":"user","content":"ends in a backslash \\\\"}],"x":{"\\"":"\\\\"}}',
  ];

  it('sends what parsing and serialising would: hints left out, model replaced, the rest byte for byte', () => {
    for (const text of bodies) {
      const edited = editTopLevel(bytes(text), edit);
      assert.ok(edited, text);
      assert.deepEqual(JSON.parse(edited.toString('utf8')), expected(text), text);
    }
  });

  it('keeps the bytes of the members it does not touch', () => {
    const content = '"content": "a \\"quoted\\" word \\u00e9"';
    const edited = editTopLevel(bytes(`{"model":"fast","messages":[{"role":"user", ${content}}]}`), edit)!.toString('utf8');
    assert.ok(edited.includes(content), edited);
    assert.equal(edited.startsWith('{"model":"gpt-4o-mini",'), true, edited);
  });

  it('appends a member, unless the body has it already', () => {
    const usage = { ...edit, add: { stream_options: '{"include_usage":true}' } };
    const edited = editTopLevel(bytes('{"model":"fast","stream":true,"messages":[]}'), usage)!;
    assert.deepEqual(JSON.parse(edited.toString('utf8')), { model: 'gpt-4o-mini', stream: true, messages: [], stream_options: { include_usage: true } });
    assert.equal(editTopLevel(bytes('{"model":"fast","stream":true,"stream_options":{},"messages":[]}'), usage), undefined);
  });

  it('declines what it cannot read with certainty, so the parsed body is serialised instead', () => {
    for (const text of ['[1,2]', '"text"', '{"mod\\u0065l":"fast"}', '{"model":"fast"} {}', '{"model":"fast",}', '{"model" "fast"}', '{"model":"fast', '']) {
      assert.equal(editTopLevel(bytes(text), edit), undefined, text);
    }
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
