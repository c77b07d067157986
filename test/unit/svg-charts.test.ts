import { describe, expect, it } from 'vitest';
import { histogram, sparkline } from '../../src/web/svg-charts.js';

describe('sparkline', () => {
  it('draws a bar per busy hour on a baseline, the busiest full height', () => {
    const svg = sparkline([0, 1, 10, 2], { width: 40, height: 20 });
    expect(svg.match(/<rect /g)).toHaveLength(3);
    expect(svg.match(/<line class="spark-base"/g)).toHaveLength(1);
    expect(svg).toContain('height="19"'); // 10 of max 10, above the 1px baseline
    expect(svg).toContain('aria-label="13 events"');
    expect(svg).not.toMatch(/style=/);
  });
  it('keeps a few events short, but visible', () => {
    // One event in a quiet day: measured against 4, not against itself.
    const one = sparkline([...new Array(23).fill(0), 1], { width: 96, height: 24 });
    expect(one.match(/<rect [^>]*height="([\d.]+)"/)![1]).toBe('5.8');
    // Every busy hour shows, however small next to the busiest.
    const skewed = sparkline([1, 1000], { width: 10, height: 24 });
    expect(skewed.match(/<rect [^>]*height="([\d.]+)"/)![1]).toBe('3');
  });
  it('copes with no data', () => {
    expect(sparkline([])).toContain('<svg');
    expect(sparkline(new Array(24).fill(0))).toContain('0 events');
  });
});

describe('histogram', () => {
  it('labels each bar with its day and count, escaped', () => {
    const svg = histogram([
      { label: '2026-11-20', count: 0 },
      { label: '<b>x</b>', count: 3 },
    ]);
    expect(svg).toContain('<title>2026-11-20: 0 events</title>');
    expect(svg).toContain('&#60;b&#62;x&#60;/b&#62;: 3 events');
    expect(svg).not.toContain('<b>');
  });
});
