import { describe, expect, it } from 'vitest';
import { isEndedState, statState } from '../src-main/util/proc-stat';

describe('statState', () => {
  it('reads field 3 of a /proc/<pid>/stat line', () => {
    expect(
      statState(
        '4242 (node) S 1 4242 4242 0 -1 4194560 1234 0 0 0 10 2 0 0 20 0 11 0 99887 1105403904 12345\n',
      ),
    ).toBe('S');
    expect(
      statState('4243 (vfab) Z 4242 4242 4242 0 -1 4227084 0 0 0 0 0 0 0 0 20 0 1 0 99900 0 0\n'),
    ).toBe('Z');
  });

  it('is not fooled by spaces and parentheses in the command name', () => {
    expect(statState('77 (a) R (b) S 1 77 77 0 -1 0\n')).toBe('S');
    expect(statState('78 (tmux: server) X 1 78\n')).toBe('X');
    expect(statState('79 ()) Z 1 79\n')).toBe('Z');
  });

  it('says nothing for text that is not a stat line', () => {
    for (const bad of [
      '',
      '80 node S 1',
      '81 (node)',
      '82 (node) ',
      '83 (node) SS 1',
      '84 (node)S 1',
      ') ( S',
    ])
      expect(statState(bad)).toBeUndefined();
  });
});

describe('isEndedState', () => {
  it('counts a zombie and a dead process as ended, every other state as running', () => {
    expect(['Z', 'X'].map(isEndedState)).toEqual([true, true]);
    expect(['R', 'S', 'D', 'T', 't', 'I', 'W', 'P'].map(isEndedState)).toEqual(
      Array(8).fill(false),
    );
  });
});
