import { describe, expect, it } from 'vitest';

import { errorReason, groupPeerErrors } from '../../../src/orchestrator/peer-errors.js';

describe('peer errors', () => {
  it('takes the numbers out of a message, so one failure on many peers is one reason', () => {
    expect(errorReason('sub-12: getStats failed after 250.5 ms (port 40213)')).toBe(
      'sub-N: getStats failed after N ms (port N)',
    );
    expect(errorReason('page error: TypeError')).toBe('page error: TypeError');
  });

  it('groups errors by reason with the peers that had them, the most frequent first', () => {
    const grouped = groupPeerErrors([
      { peer: 'r1-sub-1', message: 'page error: x is undefined' },
      { peer: 'r1-sub-1', message: 'stats read failed after 20 ms' },
      { peer: 'r1-sub-2', message: 'stats read failed after 31 ms' },
      { peer: 'r1-sub-1', message: 'stats read failed after 22 ms' },
      { peer: 'r2-sub-1', message: 'page error: x is undefined' },
      { peer: 'r2-pub-1', message: 'encoder restarted' },
    ]);
    expect(grouped).toEqual({
      count: 6,
      reasons: [
        { reason: 'stats read failed after N ms', count: 3, peers: ['r1-sub-1', 'r1-sub-2'] },
        { reason: 'page error: x is undefined', count: 2, peers: ['r1-sub-1', 'r2-sub-1'] },
        { reason: 'encoder restarted', count: 1, peers: ['r2-pub-1'] },
      ],
    });
  });

  it('gives nothing without errors (the summary leaves peers.errors out)', () => {
    expect(groupPeerErrors([])).toBeUndefined();
  });
});
