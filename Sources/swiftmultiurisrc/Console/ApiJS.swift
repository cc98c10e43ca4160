// Embedded as a Swift string so the plugin carries it wherever it is loaded
// from (dlopen, no bundle). Edit the text between the delimiters as api.js.
extension ConsoleAssets {
    /// GET /ui/api.js: REST calls with the session's token, snapshots, and GET events read with fetch.
    static let apiJS = ##"""
// The element's REST API as the console uses it: relative URLs (the page's
// own origin and scheme, so it works over TLS), the token from this tab's
// sessionStorage in an Authorization header on every call.

const TOKEN_KEY = 'swiftmultiurisrc.token';

export function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
export function setToken(value) {
  if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(status, reason) { super(reason); this.status = status; }
}

function headers(extra) {
  const h = Object.assign({}, extra);
  const t = token();
  if (t) h.Authorization = 'Bearer ' + t;
  return h;
}

// DeepStream's routes answer status line 200 whatever the outcome: the
// body's "status" carries the real one.
async function readJson(res) {
  let body = null;
  try { body = await res.json(); } catch (e) { throw new ApiError(res.status, 'HTTP ' + res.status + ' (answer is not JSON)'); }
  const m = /^HTTP\/1\.1 (\d{3})/.exec((body && body.status) || '');
  const code = m ? Number(m[1]) : res.status;
  if (code !== 200 || !res.ok) throw new ApiError(code, (body && body.reason) || ('HTTP ' + code));
  return body;
}

export async function get(route) {
  const res = await fetch('/api/v1/' + route, { headers: headers(), cache: 'no-store' });
  return readJson(res);
}

export async function post(route, body) {
  const res = await fetch('/api/v1/' + route, {
    method: 'POST', headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify(body), cache: 'no-store',
  });
  return readJson(res);
}

export async function snapshot(streamId, width, signal) {
  const url = '/api/v1/stream/snapshot?stream_id=' + encodeURIComponent(streamId) + '&width=' + width;
  const res = await fetch(url, { headers: headers(), cache: 'no-store', signal });
  const type = res.headers.get('Content-Type') || '';
  if (!type.startsWith('image/jpeg')) {
    await readJson(res);
    throw new ApiError(res.status, 'snapshot: answer is not an image');
  }
  return {
    blob: await res.blob(),
    frameWidth: Number(res.headers.get('X-Frame-Width')) || 0,
    frameHeight: Number(res.headers.get('X-Frame-Height')) || 0,
  };
}

export function sleep(ms, signal) {
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    if (signal) signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

// GET events read with fetch rather than EventSource, which cannot send the
// Authorization header. Resumes with Last-Event-ID, backs off to 30 s when
// the server is unreachable, stops on 401 (the caller asks for a token).
export async function followEvents(onEvent, onState, signal) {
  let lastId = null;
  let delay = 1000;
  while (!signal.aborted) {
    try {
      const h = headers({ Accept: 'text/event-stream' });
      if (lastId !== null) h['Last-Event-ID'] = lastId;
      const res = await fetch('/api/v1/events', { headers: h, cache: 'no-store', signal });
      const type = res.headers.get('Content-Type') || '';
      if (!type.startsWith('text/event-stream')) {
        await readJson(res);
        throw new ApiError(res.status, 'events: answer is not an event stream');
      }
      onState('live');
      delay = 1000;
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = '';
      let ev = {};
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let nl;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          let line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + 1);
          if (line.endsWith('\r')) line = line.slice(0, -1);
          if (line === '') {
            if (ev.id !== undefined) lastId = ev.id;
            if (ev.data !== undefined) onEvent(ev.event || 'message', ev.data);
            ev = {};
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? '' : line.slice(colon + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (field === 'data') ev.data = ev.data === undefined ? v : ev.data + '\n' + v;
          else if (field === 'event') ev.event = v;
          else if (field === 'id') ev.id = v;
        }
        if (buffer.length > 1048576) throw new Error('events: a line longer than 1 MiB');
      }
      onState('reconnecting');
    } catch (e) {
      if (signal.aborted) return;
      onState('polling', e);
      if (e instanceof ApiError && e.status === 401) return;
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 30000);
  }
}
"""##
}
