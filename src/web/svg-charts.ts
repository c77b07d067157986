/**
 * Charts as inline SVG, rendered on the server: they cost no script (the CSP
 * allows none inline) and show without JavaScript. Colours come from classes
 * styled by the stylesheet, not from style attributes, which the CSP would block.
 */

/** The only text that enters these charts is ours, but escape it anyway: markup is markup. */
function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function round(n: number): string {
  return String(Math.round(n * 10) / 10);
}

export interface SparklineOptions {
  width?: number;
  height?: number;
  /** Accessible description, e.g. "events in the last 24 hours". */
  label?: string;
}

/**
 * Up to this many events an hour, bars are drawn against this scale instead of
 * against the busiest hour: a lone event in a quiet issue is a short bar, not a
 * full-height spike that reads like an outbreak.
 */
const SPARK_MIN_SCALE = 4;
/** Short enough to tell 1 from 5, tall enough to be seen at a glance. */
const SPARK_MIN_BAR = 3;

/** Bars of `counts` (oldest first) standing on a baseline that spans the whole window; empty hours are just baseline. */
export function sparkline(counts: readonly number[], opts: SparklineOptions = {}): string {
  const width = opts.width ?? 96;
  const height = opts.height ?? 24;
  const scale = Math.max(SPARK_MIN_SCALE, ...counts);
  const step = width / Math.max(1, counts.length);
  const bar = Math.max(1, step - 1);
  const total = counts.reduce((a, b) => a + b, 0);
  const label = `${total} ${opts.label ?? 'events'}`;
  const room = height - 1;
  const bars = counts
    .map((c, i) => {
      if (c === 0) return '';
      const h = Math.max(SPARK_MIN_BAR, (c / scale) * room);
      return `<rect class="spark-bar" x="${round(i * step)}" y="${round(room - h)}" width="${round(bar)}" height="${round(h)}" rx="0.5"/>`;
    })
    .join('');
  const base = `<line class="spark-base" x1="0" y1="${round(height - 0.5)}" x2="${width}" y2="${round(height - 0.5)}"/>`;
  return `<svg class="sparkline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title>${base}${bars}</svg>`;
}

export interface HistogramBucket {
  /** Shown on hover, e.g. "2026-11-21". */
  label: string;
  count: number;
}

/**
 * A bar chart (the issue page's 30-day histogram): each bar says its day and
 * count on hover. It stretches to its box's width, so it carries no text (text
 * would stretch with it); the page puts the axis labels around it.
 */
export function histogram(buckets: readonly HistogramBucket[], opts: { width?: number; height?: number } = {}): string {
  const width = opts.width ?? 600;
  const height = opts.height ?? 64;
  const max = Math.max(1, ...buckets.map((b) => b.count));
  const step = width / Math.max(1, buckets.length);
  const bars = buckets
    .map((b, i) => {
      const h = b.count === 0 ? 1 : Math.max(2, (b.count / max) * (height - 2));
      const tip = `${b.label}: ${b.count} event${b.count === 1 ? '' : 's'}`;
      // A full-height transparent hit area, so the tooltip shows over short bars too.
      return `<g><title>${esc(tip)}</title><rect class="hist-hit" x="${round(i * step)}" y="0" width="${round(step)}" height="${height}"/><rect class="${b.count === 0 ? 'hist-empty' : 'hist-bar'}" x="${round(i * step + 1)}" y="${round(height - h)}" width="${round(Math.max(1, step - 2))}" height="${round(h)}"/></g>`;
    })
    .join('');
  return `<svg class="histogram" viewBox="0 0 ${width} ${height}" preserveAspectRatio="none" role="img" aria-label="events per day, at most ${max}"><line class="hist-base" x1="0" y1="${height}" x2="${width}" y2="${height}"/>${bars}</svg>`;
}
