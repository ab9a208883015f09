import { describe, expect, it } from 'vitest';
import { grantTimes, grantsInWindow } from '../../src/policy/budget.js';
import { RestartBudget } from '../../src/supervisor/budget.js';
import { FakeClock } from '../clock.js';

const twoPerTen = { max: 2, period: 10_000 };

describe('grantsInWindow', () => {
  it('keeps a grant exactly `period` old and drops one a millisecond older', () => {
    expect(grantsInWindow([0, 1, 5], 10_001, twoPerTen)).toEqual([1, 5]);
  });
});

describe('grantTimes', () => {
  it('grants at once while the window has room', () => {
    expect(grantTimes([], 2, 50, twoPerTen)).toEqual([50, 50]);
    expect(grantTimes([10], 2, 50, twoPerTen)).toEqual([50, 10_011]);
  });

  it('grants each waiter when the grant `max` places before it leaves the window, in queue order', () => {
    // Grants at 0 and 1000; waiters get 10 001 and 11 001; the third waits for the first's grant.
    expect(grantTimes([0, 1000], 3, 2000, twoPerTen)).toEqual([10_001, 11_001, 20_002]);
  });
});

describe('RestartBudget', () => {
  it('grants at once within the limit, then queues first come, first served', async () => {
    const clock = new FakeClock(0);
    const budget = new RestartBudget(twoPerTen, clock);
    const granted: string[] = [];
    expect(budget.request(() => granted.push('a'))).toBeUndefined();
    await clock.advance(1000);
    expect(budget.request(() => granted.push('b'))).toBeUndefined();
    const c = budget.request(() => granted.push('c'));
    const d = budget.request(() => granted.push('d'));
    expect([c?.delay, c?.position, d?.delay, d?.position]).toEqual([9001, 1, 10_001, 2]);
    await clock.advance(9000);
    expect(granted).toEqual([]);
    await clock.advance(1);
    expect(granted).toEqual(['c']);
    await clock.advance(1000);
    expect(granted).toEqual(['c', 'd']);
    expect(clock.pending).toBe(0);
  });

  it('queues a newcomer behind the restarts already waiting', async () => {
    const clock = new FakeClock(0);
    const budget = new RestartBudget({ max: 1, period: 100 }, clock);
    const granted: string[] = [];
    budget.request(() => granted.push('first'));
    budget.request(() => granted.push('waiting'));
    const late = budget.request(() => granted.push('late'));
    expect(late?.position).toBe(2);
    await clock.advance(101);
    expect(granted).toEqual(['waiting']);
    await clock.advance(101);
    expect(granted).toEqual(['waiting', 'late']);
  });

  it('lets a withdrawn waiter free its turn for the next, and close() drops the timer', async () => {
    const clock = new FakeClock(0);
    const budget = new RestartBudget({ max: 1, period: 100 }, clock);
    const granted: string[] = [];
    budget.request(() => granted.push('a'));
    const b = budget.request(() => granted.push('b'));
    budget.request(() => granted.push('c'));
    b?.cancel();
    await clock.advance(101);
    expect(granted).toEqual(['c']);
    budget.request(() => granted.push('d'));
    expect(clock.pending).toBe(1);
    budget.close();
    expect(clock.pending).toBe(0);
    await clock.advance(1000);
    expect(granted).toEqual(['c']);
  });
});
