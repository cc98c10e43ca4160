// Embedded as a Swift string so the plugin carries it wherever it is loaded
// from (dlopen, no bundle). Edit the text between the delimiters as console.js.
extension ConsoleAssets {
    /// GET /ui/console.js: the page's main module (cards, add form, refresh pacing).
    static let consoleJS = ##"""
// The console page: one card per stream (picture, state, counters, labels,
// ROI and interval controls), a form to add a camera. Live state comes from
// GET events; stream info is read once a second for fps and frame counts
// (every 5 s while the tab is hidden). Pictures refresh about three times a
// second while the tab is visible and stop when it is hidden.

import * as api from './api.js';
import { RoiEditor } from './roi.js';

const SNAPSHOT_INTERVAL_MS = 333;
const INFO_INTERVAL_MS = 1000;
const HIDDEN_INFO_INTERVAL_MS = 5000;
// Widths asked for come from this short list, so that every viewer of a
// stream asks for the same picture and the server's cache serves them all.
const WIDTHS = [160, 320, 480, 640];

const $ = (id) => document.getElementById(id);
const cards = new Map();  // camera_id -> Card
let needToken = false;
let eventsAbort = null;

function el(tag, props, ...children) {
  const e = document.createElement(tag);
  if (props) for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c) e.appendChild(c);
  return e;
}

function setLive(text, cls) {
  const live = $('live');
  live.textContent = text;
  live.className = cls;
}

// An API failure shown next to what caused it; 401 opens the token panel.
function showError(target, e) {
  if (e instanceof api.ApiError && e.status === 401) askToken(e.message);
  target.textContent = e instanceof api.ApiError ? e.message + ' (HTTP ' + e.status + ')' : String(e.message || e);
}

function askToken(reason) {
  needToken = true;
  const panel = $('token-panel');
  const had = api.token();
  panel.hidden = false;
  $('token-error').textContent = had ? 'The token was refused: ' + reason : '';
  if (document.activeElement !== $('token-input')) $('token-input').focus();
  setLive('token needed', 'error');
}

class Card {
  constructor(info) {
    this.id = info.camera_id;
    this.info = info;
    this.frameW = 0;
    this.frameH = 0;
    this.url = null;
    this.busy = false;
    this.timer = null;
    const safe = 'c' + Math.random().toString(36).slice(2);
    this.img = el('img', { alt: 'Latest picture of camera ' + this.id });
    this.nopic = el('div', { class: 'nopic', text: 'no picture yet' });
    this.frame = el('div', { class: 'frame', title: 'Drag to draw a region of interest' }, this.img, this.nopic);
    this.roi = new RoiEditor(this.frame, () => ({ width: this.frameW, height: this.frameH }), (msg) => {
      this.roiError.textContent = msg || '';
      this.roiCount.textContent = this.roi.drafts.length + ' new';
    });
    this.title = el('h3', { id: safe });
    this.fields = {};
    const dl = el('dl');
    for (const [key, label] of [['state', 'State'], ['fps', 'fps'], ['frames', 'Frames'], ['source', 'Source'], ['labels', 'Labels']]) {
      this.fields[key] = el('dd', { class: key });
      dl.append(el('dt', { text: label }), this.fields[key]);
    }
    this.reason = el('p', { class: 'reason error' });
    this.error = el('p', { class: 'error', role: 'alert' });
    this.roiError = el('p', { class: 'error', role: 'alert' });
    this.roiCount = el('span', { text: '0 new' });

    const sendRois = el('button', { type: 'button', class: 'send-rois', text: 'Send ROIs', onclick: () => this.sendRois() });
    const clearRois = el('button', { type: 'button', class: 'quiet clear-rois', text: 'Clear', onclick: () => this.roi.clear() });
    const numbers = {};
    const numberForm = el('form', { class: 'row', onsubmit: (e) => {
      e.preventDefault();
      const rect = {};
      for (const k of ['left', 'top', 'width', 'height']) rect[k] = Number(numbers[k].value);
      const why = this.roi.add(rect);
      this.roiError.textContent = why || '';
    } });
    for (const k of ['left', 'top', 'width', 'height']) {
      numbers[k] = el('input', { type: 'number', min: '0', step: '1', required: '', 'aria-label': k + ' (frame pixels)', placeholder: k });
      numberForm.appendChild(numbers[k]);
    }
    numberForm.appendChild(el('button', { type: 'submit', class: 'quiet', text: 'Add ROI' }));
    const byNumbers = el('details', null, el('summary', { text: 'ROI by numbers (frame pixels)' }), numberForm);

    const setting = (label, route, field, min, max) => {
      const input = el('input', { type: 'number', min: String(min), max: String(max), step: '1', value: '0', 'aria-label': label, class: field });
      const out = el('span', { class: 'error', role: 'alert' });
      const form = el('form', { class: 'row', onsubmit: async (e) => {
        e.preventDefault();
        out.textContent = '';
        input.removeAttribute('aria-invalid');
        try {
          const stream = { stream_id: String(this.info.source_id) };
          stream[field] = Number(input.value);
          await api.post(route, { stream });
        } catch (err) {
          input.setAttribute('aria-invalid', 'true');
          showError(out, err);
        }
      } }, el('label', { text: label + ' ' }, input), el('button', { type: 'submit', class: 'quiet', text: 'Set' }), out);
      return form;
    };

    const remove = el('button', { type: 'button', class: 'danger remove', text: 'Remove', onclick: () => this.remove() });
    remove.setAttribute('aria-label', 'Remove camera ' + this.id);
    this.node = el('article', { class: 'card', 'aria-labelledby': safe },
      this.frame,
      el('div', { class: 'meta' }, this.title, dl, this.reason),
      el('div', { class: 'controls' },
        el('div', { class: 'row' }, el('span', { text: 'ROIs:' }), this.roiCount, sendRois, clearRois),
        byNumbers, this.roiError,
        setting('Infer interval', 'infer/set-interval', 'interval', 0, 32),
        setting('Drop-frame interval', 'dec/drop-frame-interval', 'drop_frame_interval', 0, 30),
        el('div', { class: 'row' }, remove),
        this.error));
    this.node.dataset.cameraId = this.id;
    this.update(info);
  }

  update(info) {
    this.info = info;
    this.node.dataset.sourceId = String(info.source_id);
    this.title.replaceChildren(document.createTextNode(info.camera_id + ' '),
      el('span', { class: 'name', text: info.camera_name || '' }));
    const state = this.fields.state;
    state.textContent = info.state;
    state.className = 'state state-' + info.state;
    this.fields.fps.textContent = typeof info.fps === 'number' ? info.fps.toFixed(1) : '';
    this.fields.frames.textContent = String(info.frames_out ?? '');
    this.fields.source.textContent = String(info.source_id);
    const labels = Object.entries(info.labels || {}).map(([k, v]) => k + '=' + v).join(', ');
    this.fields.labels.textContent = labels || '–';
    this.reason.textContent = info.last_error || '';
  }

  width() {
    const want = Math.round(this.frame.clientWidth * (window.devicePixelRatio || 1));
    return WIDTHS.find((w) => w >= want) || WIDTHS[WIDTHS.length - 1];
  }

  // One request at a time per card, the next one SNAPSHOT_INTERVAL_MS
  // after the last answer: a slow server slows the page down, never the
  // other way round.
  schedule(ms) {
    clearTimeout(this.timer);
    this.timer = null;
    if (document.visibilityState !== 'visible' || needToken || !cards.has(this.id)) return;
    this.timer = setTimeout(() => this.refresh(), ms);
  }

  async refresh() {
    this.timer = null;
    if (this.busy) return;
    this.busy = true;
    let next = SNAPSHOT_INTERVAL_MS;
    try {
      const shot = await api.snapshot(String(this.info.source_id), this.width());
      const url = URL.createObjectURL(shot.blob);
      this.img.src = url;
      if (this.url) URL.revokeObjectURL(this.url);
      this.url = url;
      this.nopic.hidden = true;
      const changed = shot.frameWidth !== this.frameW || shot.frameHeight !== this.frameH;
      this.frameW = shot.frameWidth;
      this.frameH = shot.frameHeight;
      if (changed && this.frameW && this.frameH) {
        this.frame.style.aspectRatio = this.frameW + ' / ' + this.frameH;
        this.roi.render();
      }
      this.frame.dataset.frameWidth = String(this.frameW);
      this.frame.dataset.frameHeight = String(this.frameH);
      if (this.error.dataset.from === 'snapshot') { this.error.textContent = ''; delete this.error.dataset.from; }
    } catch (e) {
      next = 2000;
      if (cards.has(this.id)) { showError(this.error, e); this.error.dataset.from = 'snapshot'; }
    } finally {
      this.busy = false;
    }
    this.schedule(next);
  }

  async sendRois() {
    this.roiError.textContent = '';
    const roi = this.roi.payload();
    try {
      await api.post('roi/update', { stream: { stream_id: String(this.info.source_id), roi_count: roi.length, roi } });
      this.roi.accepted();
      this.roiCount.textContent = '0 new, ' + this.roi.sent.length + ' sent';
    } catch (e) {
      showError(this.roiError, e);
    }
  }

  async remove() {
    this.error.textContent = '';
    try {
      await api.post('stream/remove', { key: 'sensor', value: { camera_id: this.id, change: 'camera_remove' } });
      drop(this.id);
    } catch (e) {
      showError(this.error, e);
    }
  }

  dispose() {
    clearTimeout(this.timer);
    if (this.url) URL.revokeObjectURL(this.url);
    this.node.remove();
  }
}

function drop(id) {
  const card = cards.get(id);
  if (!card) return;
  cards.delete(id);
  card.dispose();
  $('stream-count').textContent = '(' + cards.size + ')';
}

let infoTimer = null;
let infoBusy = false;

async function refreshInfo() {
  if (infoBusy) return;
  infoBusy = true;
  try {
    const body = await api.get('stream/get-stream-info');
    const list = (body['stream-info'] && body['stream-info']['stream-info']) || [];
    $('grid-error').textContent = '';
    if (needToken) {
      needToken = false;
      $('token-panel').hidden = true;
      startEvents();
    }
    const seen = new Set();
    for (const info of list) {
      seen.add(info.camera_id);
      let card = cards.get(info.camera_id);
      if (card && card.info.source_id !== info.source_id) { drop(info.camera_id); card = null; }
      if (!card) {
        card = new Card(info);
        cards.set(info.camera_id, card);
        $('grid').appendChild(card.node);
        card.schedule(0);
      } else {
        card.update(info);
      }
    }
    for (const id of [...cards.keys()]) if (!seen.has(id)) drop(id);
    $('stream-count').textContent = '(' + cards.size + ')';
  } catch (e) {
    showError($('grid-error'), e);
  } finally {
    infoBusy = false;
  }
  scheduleInfo();
}

function scheduleInfo(ms) {
  clearTimeout(infoTimer);
  if (needToken) return;
  const wait = ms ?? (document.visibilityState === 'visible' ? INFO_INTERVAL_MS : HIDDEN_INFO_INTERVAL_MS);
  infoTimer = setTimeout(refreshInfo, wait);
}

function startEvents() {
  if (eventsAbort) eventsAbort.abort();
  eventsAbort = new AbortController();
  api.followEvents(() => scheduleInfo(50), (state, err) => {
    if (state === 'live') setLive('live', 'live');
    else if (err instanceof api.ApiError && err.status === 401) askToken(err.message);
    else setLive('polling', 'polling');
  }, eventsAbort.signal);
}

function addCamera(e) {
  e.preventDefault();
  const out = $('add-error');
  const inputs = { camera_id: $('add-camera-id'), camera_name: $('add-camera-name'), camera_url: $('add-camera-url') };
  out.textContent = '';
  for (const i of Object.values(inputs)) i.removeAttribute('aria-invalid');
  const value = { camera_id: inputs.camera_id.value.trim(), camera_name: inputs.camera_name.value.trim(),
                  camera_url: inputs.camera_url.value.trim(), change: 'camera_add' };
  const button = $('add-submit');
  button.disabled = true;
  api.post('stream/add', { key: 'sensor', value }).then(() => {
    inputs.camera_id.value = '';
    inputs.camera_name.value = '';
    inputs.camera_url.value = '';
    scheduleInfo(0);
  }, (err) => {
    showError(out, err);
    // The reason names the field that is wrong: mark that input.
    for (const [name, input] of Object.entries(inputs)) {
      if (err.message && err.message.includes(name)) input.setAttribute('aria-invalid', 'true');
    }
  }).finally(() => { button.disabled = false; });
}

document.addEventListener('visibilitychange', () => {
  for (const card of cards.values()) card.schedule(0);
  scheduleInfo(0);
});

$('token-form').addEventListener('submit', (e) => {
  e.preventDefault();
  api.setToken($('token-input').value.trim());
  $('token-input').value = '';
  $('token-error').textContent = 'checking…';
  refreshInfo().then(() => {
    if (!needToken) for (const card of cards.values()) card.schedule(0);
  });
});
$('token-button').addEventListener('click', () => {
  const panel = $('token-panel');
  panel.hidden = !panel.hidden;
  if (!panel.hidden) $('token-input').focus();
});
$('add-form').addEventListener('submit', addCamera);
$('add-form').addEventListener('input', (e) => e.target.removeAttribute('aria-invalid'));

setLive('connecting', '');
startEvents();
refreshInfo();
"""##
}
