// Sluice's only script: small progressive enhancements. Every page works without it.
// Loaded as a file because the Content-Security-Policy allows no inline script.
'use strict';

document.addEventListener('DOMContentLoaded', () => {
  // Copy buttons: data-copy="#id" copies the text of that element.
  for (const button of document.querySelectorAll('[data-copy]')) {
    button.addEventListener('click', async () => {
      const source = document.querySelector(button.getAttribute('data-copy'));
      if (!source) return;
      const text = source.textContent || '';
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        // No clipboard access (plain http on another host): select the text instead.
        const range = document.createRange();
        range.selectNodeContents(source);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return;
      }
      const label = button.textContent;
      button.textContent = 'Copied';
      button.classList.add('copied');
      setTimeout(() => {
        button.textContent = label;
        button.classList.remove('copied');
      }, 1500);
    });
  }

  // Tabs: one panel at a time, remembered across pages.
  for (const tabs of document.querySelectorAll('[data-tabs]')) {
    const buttons = [...tabs.querySelectorAll('[data-tab]')];
    const select = (id) => {
      for (const b of buttons) b.setAttribute('aria-selected', String(b.dataset.tab === id));
      for (const p of tabs.querySelectorAll('[data-panel]')) p.classList.toggle('active', p.dataset.panel === id);
      try {
        localStorage.setItem('sluice.sdk', id);
      } catch {
        // storage may be disabled; the choice is only a convenience
      }
    };
    for (const b of buttons) b.addEventListener('click', () => select(b.dataset.tab));
    let remembered = null;
    try {
      remembered = localStorage.getItem('sluice.sdk');
    } catch {
      remembered = null;
    }
    select(buttons.some((b) => b.dataset.tab === remembered) ? remembered : buttons[0]?.dataset.tab);
    tabs.classList.add('ready');
  }

  // Issue lists: a "select all" box and a live count for the bulk actions. Without the
  // script the rows' own boxes and the buttons work as a plain form (the box stays hidden).
  const selectAll = document.querySelector('[data-select-all]');
  if (selectAll?.form) {
    const rows = [...selectAll.form.querySelectorAll('input[type=checkbox][name=issue]')];
    const label = selectAll.form.querySelector('[data-selected-count]');
    const actions = [...selectAll.form.querySelectorAll('[data-bulk-action]')];
    const idle = label?.textContent ?? '';
    const update = () => {
      const n = rows.filter((r) => r.checked).length;
      selectAll.checked = n > 0 && n === rows.length;
      selectAll.indeterminate = n > 0 && n < rows.length;
      if (label) label.textContent = n === 0 ? idle : `${n} selected:`;
      // Nothing selected: the buttons would only earn an error page.
      for (const b of actions) b.disabled = n === 0;
      for (const r of rows) r.closest('tr')?.classList.toggle('selected', r.checked);
    };
    selectAll.hidden = false;
    selectAll.addEventListener('change', () => {
      for (const r of rows) r.checked = selectAll.checked;
      update();
    });
    for (const r of rows) r.addEventListener('change', update);
    // The browser may restore checked boxes on "back": start from what is shown.
    update();
  }

  // Delete confirmations: the button wakes up once the name is typed (the server checks too).
  for (const input of document.querySelectorAll('[data-confirm-word]')) {
    const button = input.form?.querySelector('[data-confirm-button]');
    if (!button) continue;
    const update = () => {
      button.disabled = input.value.trim() !== input.dataset.confirmWord;
    };
    input.addEventListener('input', update);
    update();
  }
});
