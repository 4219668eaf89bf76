// The sandbox's Slack page: #deploys with threads, as the Slack twin holds it, rendered from the bot's
// Block Kit (header, section with text, fields and a button accessory, context, divider, actions).
// It polls /api/state and sends what the person does to /api/send and /api/click; server.ts turns those
// into the signed requests Slack would send the bot. No framework: DOM calls, and innerHTML only for text
// this file has escaped itself (mrkdwn below).
// `me` is the person the page acts as (the header's switcher); `state` is what the server last showed, for
// `state.me`. A poll's answer is for the person it asked about: one that comes back after a switch is
// dropped, so a switch is never undone by a poll that was under way.

const $ = (id) => document.getElementById(id);
const POLL_MS = 700;

let me = localStorage.getItem('sandbox-user') ?? '';
let openThread = '';
let last = '';
let state;

// ---------------------------------------------------------------------------------------------------------
// mrkdwn: Slack's message formatting.

const EMOJI = {
  white_check_mark: '✅',
  x: '❌',
  warning: '⚠️',
  test_tube: '🧪',
  lock: '🔒',
  unlock: '🔓',
  snowflake: '❄️',
  hourglass: '⏳',
  hourglass_flowing_sand: '⏳',
  no_entry_sign: '🚫',
  leftwards_arrow_with_hook: '↩️',
  heavy_minus_sign: '➖',
  grey_question: '❔',
  arrows_counterclockwise: '🔄',
  rotating_light: '🚨',
  rewind: '⏪',
  raised_hand: '✋',
  fast_forward: '⏩',
  eyes: '👀',
  double_vertical_bar: '⏸️',
  arrow_forward: '▶️',
  white_circle: '⚪',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  red_circle: '🔴',
  package: '📦',
  mag: '🔍',
  memo: '📝',
  rocket: '🚀',
  tada: '🎉',
  stopwatch: '⏱️',
  bell: '🔔',
  octagonal_sign: '🛑',
  construction: '🚧',
  page_facing_up: '📄',
  clipboard: '📋',
  chart_with_upwards_trend: '📈',
};

const escapeHtml = (text) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const unescapeSlack = (text) => text.replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');
const emoji = (html) => html.replace(/:([a-z0-9_+-]+):/g, (all, name) => EMOJI[name] ?? all);

const nameOf = (id) => {
  if (state?.bot.id === id) return state.bot.name;
  return state?.people.find((p) => p.id === id)?.name ?? id;
};

const timeText = (seconds) => new Date(seconds * 1000).toLocaleTimeString([], { hour12: false });
const dateText = (seconds) =>
  new Date(seconds * 1000).toLocaleString([], { dateStyle: 'medium', timeStyle: 'short', hour12: false });

/** One `<...>` control sequence as HTML. */
function token(inner) {
  const [target, label] = inner.split('|', 2);
  if (target.startsWith('@')) return `<b>@${escapeHtml(nameOf(target.slice(1)))}</b>`;
  if (target.startsWith('#')) return `<b>#${escapeHtml(label ?? target.slice(1))}</b>`;
  if (target.startsWith('!date^')) {
    const seconds = Number(target.split('^')[1]);
    return Number.isFinite(seconds) ? escapeHtml(dateText(seconds)) : escapeHtml(label ?? '');
  }
  if (target.startsWith('!')) return `<b>@${escapeHtml(target.slice(1))}</b>`;
  const href = unescapeSlack(target);
  if (!/^https?:\/\//.test(href)) return escapeHtml(unescapeSlack(label ?? target));
  return `<a href="${escapeHtml(href)}" target="_blank" rel="noopener">${escapeHtml(unescapeSlack(label ?? target))}</a>`;
}

/** Slack mrkdwn (entities &amp; &lt; &gt; already in place, as Slack sends it) to safe HTML. */
function mrkdwn(text) {
  const kept = [];
  const keep = (html) => `\uE000${kept.push(html) - 1}\uE001`;
  let out = text.replace(/```([\s\S]*?)```/g, (_, body) =>
    keep(`<pre>${escapeHtml(unescapeSlack(body))}</pre>`),
  );
  out = out.replace(/<([^<>\n]+)>/g, (_, inner) => keep(token(inner)));
  out = out.replace(/`([^`\n]+)`/g, (_, body) => keep(`<code>${escapeHtml(unescapeSlack(body))}</code>`));
  out = escapeHtml(unescapeSlack(out));
  out = out
    .replace(/(^|[^\w*])\*([^*\n]+)\*(?!\w)/g, '$1<b>$2</b>')
    .replace(/(^|[^\w_])_([^_\n]+)_(?!\w)/g, '$1<i>$2</i>')
    .replace(/(^|[^\w~])~([^~\n]+)~(?!\w)/g, '$1<s>$2</s>');
  out = out
    .split('\n')
    .map((line) => (line.startsWith('&gt; ') ? `<blockquote>${line.slice(5)}</blockquote>` : line))
    .join('<br>')
    .replaceAll('</blockquote><br>', '</blockquote>');
  out = emoji(out);
  return out.replace(/\uE000(\d+)\uE001/g, (_, i) => kept[Number(i)]);
}

const textHtml = (t) => (t?.type === 'mrkdwn' ? mrkdwn(t.text) : emoji(escapeHtml(t?.text ?? '')));

// ---------------------------------------------------------------------------------------------------------
// Block Kit.

function el(tag, className, html) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (html !== undefined) node.innerHTML = html;
  return node;
}

function buttonNode(button, message) {
  const node = el('button', button.style ?? '', emoji(escapeHtml(button.text?.text ?? button.action_id)));
  node.type = 'button';
  node.dataset.actionId = button.action_id;
  node.addEventListener('click', () => {
    const go = () => click(message, button, node);
    if (button.confirm) ask(button.confirm, button.style, go);
    else go();
  });
  return node;
}

function blockNode(block, message) {
  switch (block.type) {
    case 'header':
      return el('div', 'blk header', textHtml(block.text));
    case 'divider':
      return el('hr', 'blk divider');
    case 'section': {
      const node = el('div', 'blk section');
      if (block.text) node.append(el('div', '', textHtml(block.text)));
      if (block.fields) {
        const fields = el('div', 'fields');
        for (const field of block.fields) fields.append(el('div', '', textHtml(field)));
        node.append(fields);
      }
      if (block.accessory?.type === 'button') node.append(buttonNode(block.accessory, message));
      return node;
    }
    case 'context': {
      const node = el('div', 'blk context');
      for (const element of block.elements ?? []) {
        node.append(
          element.type === 'image'
            ? el('span', '', escapeHtml(element.alt_text ?? ''))
            : el('span', '', textHtml(element)),
        );
      }
      return node;
    }
    case 'actions': {
      const node = el('div', 'blk actions');
      for (const element of block.elements ?? []) {
        if (element.type === 'button') node.append(buttonNode(element, message));
      }
      return node;
    }
    default:
      return el('div', 'blk', `<i>(${escapeHtml(String(block.type))} block)</i>`);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Messages.

function messageNode(message, { ephemeral = false, inThread = false } = {}) {
  const byBot = message.user === state.bot.id;
  const person = state.people.find((p) => p.id === message.user);
  const node = el('div', `msg${ephemeral ? ' ephemeral' : ''}${byBot ? ' bot' : ''}`);
  node.dataset.ts = message.ts;
  const who = ephemeral ? state.bot.name : nameOf(message.user);
  node.append(
    el(
      'div',
      `avatar${byBot || ephemeral ? '' : ` person ${person?.role ?? ''}`}`,
      escapeHtml(who[0].toUpperCase()),
    ),
  );
  const body = el('div', 'body');
  const meta = el(
    'div',
    'meta',
    `<b>${escapeHtml(who)}</b>${byBot || ephemeral ? '<span class="app">APP</span>' : ''}<time>${timeText(Number(message.ts))}</time>`,
  );
  if (message.edited) meta.append(el('span', 'edited', ' (edited)'));
  if (ephemeral) meta.append(el('span', 'only', ' · Only visible to you'));
  body.append(meta);
  if (message.blocks?.length) for (const block of message.blocks) body.append(blockNode(block, message));
  else if (message.text) body.append(el('div', 'blk', mrkdwn(message.text)));
  for (const file of message.files ?? []) {
    // Images show in the thread, as Slack previews them (the bot's stage charts).
    if (/\.png$/i.test(file.name)) {
      const figure = el('figure', 'image');
      const img = document.createElement('img');
      img.src = file.url;
      img.alt = file.title || file.name;
      img.dataset.file = file.name;
      img.loading = 'eager';
      figure.append(img, el('figcaption', '', escapeHtml(file.title || file.name)));
      body.append(figure);
      continue;
    }
    const f = el(
      'div',
      'file',
      `📄 <b>${escapeHtml(file.title || file.name)}</b><span class="name">${escapeHtml(file.name)}</span>`,
    );
    const link = el('a', '', 'View');
    link.href = file.url;
    link.target = '_blank';
    link.dataset.file = file.name;
    f.append(link);
    body.append(f);
  }
  const replies = message.replies?.length ?? 0;
  if (!inThread && !ephemeral) {
    // "N replies" opens the thread, as in Slack; "Reply in thread" starts one.
    const open = el(
      'button',
      'replies',
      replies > 0 ? `${replies} ${replies === 1 ? 'reply' : 'replies'}` : 'Reply in thread',
    );
    open.type = 'button';
    if (replies === 0) open.classList.add('start');
    open.addEventListener('click', () => showThread(message.ts));
    body.append(open);
  }
  node.append(body);
  return node;
}

function fill(list, items) {
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
  list.replaceChildren(...items);
  if (atBottom) list.scrollTop = list.scrollHeight;
}

let shown = '';

/** The header every poll; the channel and the thread only when they changed (clicks and scroll stay put). */
function render() {
  $('channel-name').textContent = state.channel.name;
  renderPeople();
  renderService();
  const key = JSON.stringify([state.me, state.messages, state.ephemerals, openThread]);
  if (key === shown) return;
  shown = key;
  const mine = state.ephemerals;
  const channelItems = [
    ...state.messages.map((m) => ({ ts: m.ts, node: () => messageNode(m) })),
    ...mine
      .filter((e) => !e.thread_ts)
      .map((e) => ({ ts: e.ts, node: () => messageNode(e, { ephemeral: true }) })),
  ].sort((a, b) => Number(a.ts) - Number(b.ts));
  fill(
    $('messages'),
    channelItems.map((i) => i.node()),
  );
  const parent = state.messages.find((m) => m.ts === openThread);
  $('thread').hidden = !parent;
  if (parent) {
    const items = [
      ...parent.replies.map((m) => ({ ts: m.ts, node: () => messageNode(m, { inThread: true }) })),
      ...mine
        .filter((e) => e.thread_ts === parent.ts)
        .map((e) => ({ ts: e.ts, node: () => messageNode(e, { ephemeral: true, inThread: true }) })),
    ].sort((a, b) => Number(a.ts) - Number(b.ts));
    fill($('thread-messages'), [
      messageNode(parent, { inThread: true }),
      el('hr', 'blk divider'),
      ...items.map((i) => i.node()),
    ]);
  }
}

/** The switcher: pressed is the person whose view is shown (after a switch, once it has come). */
function renderPeople() {
  const who = $('who');
  if (who.querySelectorAll('button').length === state.people.length) {
    for (const b of who.querySelectorAll('button'))
      b.setAttribute('aria-pressed', String(b.dataset.user === state.me));
    return;
  }
  for (const person of state.people) {
    const b = el('button', '', `${escapeHtml(person.name)} · ${escapeHtml(person.role)}`);
    b.type = 'button';
    b.dataset.user = person.id;
    b.setAttribute('aria-pressed', String(person.id === state.me));
    b.addEventListener('click', () => {
      me = person.id;
      localStorage.setItem('sandbox-user', me);
      last = '';
      poll();
    });
    who.append(b);
  }
}

function renderService() {
  const { service } = state;
  const serving = service.revisions.filter((r) => r.percent > 0 || r.tags.length > 0);
  const bar = serving
    .filter((r) => r.percent > 0)
    .map(
      (r) => `<span class="${r.build}" style="width:${r.percent}%" title="${escapeHtml(r.revision)}"></span>`,
    )
    .join('');
  const rows = serving
    .map(
      (r) =>
        `<code>${escapeHtml(r.revision)}</code> ${r.build} ${r.percent} %${r.tags.length ? ` (${escapeHtml(r.tags.join(', '))})` : ''}` +
        ` · ${r.requests} req, ${r.errors5xx} 5xx in 10 s`,
    )
    .join(' · ');
  $('service').innerHTML =
    `Cloud Run <b>${escapeHtml(service.name)}</b><span class="bar">${bar}</span>${rows}`;
}

// ---------------------------------------------------------------------------------------------------------
// Acting.

function showError(text) {
  $('error').textContent = text;
}

async function post(path, body) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: `${response.status}` }));
  if (!answer.ok) throw new Error(answer.error ?? 'refused');
  return answer;
}

/** A send Slack made but the bot did not take (no answer in 3 s, an error): said on the page. */
function showUndelivered(answer) {
  if (answer.delivered === false) showError(answer.error ?? 'the bot did not take it');
}

async function click(message, button, node) {
  node.disabled = true;
  try {
    showError('');
    showUndelivered(
      await post('/api/click', {
        user: me,
        ts: message.ts,
        action_id: button.action_id,
        value: button.value,
        // The message as this page shows it: a click from a view that is out of date goes out as Slack
        // sends it, and the bot's answer says why it is refused.
        message: { text: message.text, blocks: message.blocks, thread_ts: message.thread_ts },
      }),
    );
  } catch (error) {
    showError(error.message);
  } finally {
    node.disabled = false;
    poll();
  }
}

function ask(confirm, style, go) {
  $('confirm-title').textContent = confirm.title?.text ?? 'Are you sure?';
  $('confirm-text').textContent = confirm.text?.text ?? '';
  const ok = $('confirm-ok');
  ok.textContent = confirm.confirm?.text ?? 'Yes';
  ok.className = style === 'danger' ? 'danger' : 'primary';
  $('confirm-deny').textContent = confirm.deny?.text ?? 'Cancel';
  $('confirm').hidden = false;
  ok.onclick = () => {
    $('confirm').hidden = true;
    go();
  };
  $('confirm-deny').onclick = () => {
    $('confirm').hidden = true;
  };
}

function composer(form, input, threadTs) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.disabled = true;
    try {
      showError('');
      const answer = await post('/api/send', {
        user: me,
        text,
        ...(threadTs() ? { thread_ts: threadTs() } : {}),
      });
      input.value = '';
      showUndelivered(answer);
    } catch (error) {
      showError(error.message);
    } finally {
      input.disabled = false;
      input.focus();
      poll();
    }
  });
}

function showThread(ts) {
  openThread = ts;
  render();
  $('thread-compose').focus();
}

// ---------------------------------------------------------------------------------------------------------

let polling = false;
async function poll() {
  if (polling) return;
  polling = true;
  const asked = me;
  let again = false;
  try {
    const response = await fetch(`/api/state?user=${encodeURIComponent(asked)}`);
    const text = await response.text();
    if (!response.ok) throw new Error(text);
    if ($('error').textContent.startsWith('the sandbox does not answer')) showError('');
    // Asked for someone else than the person now chosen (a switch while it was under way): drop it and
    // ask again for the one chosen.
    if (asked !== me) {
      again = true;
      return;
    }
    if (text !== last) {
      const next = JSON.parse(text);
      if (next.me !== me) {
        // The server answers for the first person when `me` is unknown to it (a first visit, a choice
        // left from another run): only then is its choice taken.
        if (next.people.some((p) => p.id === me)) return;
        me = next.me;
        localStorage.setItem('sandbox-user', me);
      }
      last = text;
      state = next;
      render();
    }
  } catch (error) {
    showError(`the sandbox does not answer (${error.message}); is it still running?`);
  } finally {
    polling = false;
    if (again) poll();
  }
}

composer($('composer'), $('compose'), () => '');
composer($('thread-composer'), $('thread-compose'), () => openThread);
$('close-thread').addEventListener('click', () => {
  openThread = '';
  render();
});
poll();
setInterval(poll, POLL_MS);
