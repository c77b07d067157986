import { describe, expect, it } from 'vitest';
import { histogram, sparkline } from '../../src/web/svg-charts.js';

describe('sparkline', () => {
  it('draws one bar per bucket, the largest full height', () => {
    const svg = sparkline([0, 1, 4, 2], { width: 40, height: 20 });
    expect(svg.match(/<rect /g)).toHaveLength(4);
    expect(svg).toContain('class="spark-empty"');
    expect(svg).toContain('height="19"'); // 4 of max 4, minus the 1px headroom
    expect(svg).toContain('aria-label="7 events"');
    expect(svg).not.toMatch(/style=/);
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
