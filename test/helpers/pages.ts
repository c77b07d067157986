/** What every rendered page of the web UI must look like, whatever data went into it. */
import { expect } from 'vitest';

/** Containers a template opens and closes in pairs: a conditional that drops one half shows up as an imbalance. */
const PAIRED = ['html', 'body', 'main', 'section', 'div', 'table', 'thead', 'tbody', 'tr', 'ol', 'ul', 'li', 'details', 'summary', 'form', 'nav', 'aside', 'pre', 'select', 'svg', 'a'];

/** What a rendered page must look like: complete, balanced, and with no trace of a template value gone wrong. */
export function expectWholePage(url: string, res: { statusCode: number; headers: Record<string, unknown>; body: string }, eventText = ''): void {
  expect(res.statusCode, `${url}: ${res.body.slice(0, 1500)}`).toBe(200);
  expect(res.headers['content-type'], url).toMatch(/^text\/html/);
  const html = res.body;
  expect(html.trimEnd().endsWith('</html>'), `${url}: page is cut short`).toBe(true);
  // Event text is attacker/SDK-controlled and may legitimately say "undefined"; markup we generate must not.
  const bad = (re: RegExp, why: string) => {
    const m = re.exec(html);
    expect(m ? html.slice(Math.max(0, m.index - 200), m.index + 100) : null, `${url}: ${why}`).toBeNull();
  };
  bad(/<[^>]*="(?:undefined|null|NaN|\[object Object\])"/, 'a template value leaked into markup');
  // ...unless the event itself says so (a console breadcrumb may well read "[object Object]").
  if (!eventText.includes('[object Object]')) bad(/\[object Object\]/, 'an object printed as text');
  if (!/"(?:NaN|undefined)"/.test(eventText)) bad(/>\s*(?:NaN|undefined)\s*</, 'a value that is not one');
  for (const tag of PAIRED) {
    const open = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
    const close = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
    expect(close, `${url}: <${tag}> opened ${open} times, closed ${close} times`).toBe(open);
  }
}

