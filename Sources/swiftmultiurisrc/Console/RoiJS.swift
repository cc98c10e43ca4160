// Embedded as a Swift string so the plugin carries it wherever it is loaded
// from (dlopen, no bundle). Edit the text between the delimiters as roi.js.
extension ConsoleAssets {
    /// GET /ui/roi.js: drawing ROIs on a picture, in frame pixels.
    static let roiJS = ##"""
// Rectangles drawn with the mouse (or a finger, or typed in) on a stream's
// picture, kept in the frame's own pixels: those are what roi/update and
// DeepStream's nv-roi-update carry, whatever size the picture is shown at.

// DeepStream names no limit of its own for roi/update; nvdspreprocess
// configurations hold a handful per stream. The console keeps 16.
export const MAX_ROIS = 16;

export class RoiEditor {
  constructor(frame, frameSize, onChange) {
    this.frame = frame;          // the element the picture fills
    this.frameSize = frameSize;  // () => {width, height} in frame pixels, 0 when unknown
    this.onChange = onChange;
    this.drafts = [];            // not sent yet
    this.sent = [];              // the last list roi/update accepted
    this.drag = null;
    this.layer = document.createElement('div');
    frame.appendChild(this.layer);
    frame.addEventListener('pointerdown', (e) => this.down(e));
    frame.addEventListener('pointermove', (e) => this.move(e));
    frame.addEventListener('pointerup', (e) => this.up(e));
    frame.addEventListener('pointercancel', () => { this.drag = null; this.render(); });
  }

  // The pointer's position in frame pixels, clamped to the frame.
  point(e) {
    const r = this.frame.getBoundingClientRect();
    const { width, height } = this.frameSize();
    const fx = Math.min(Math.max((e.clientX - r.left) / r.width, 0), 1);
    const fy = Math.min(Math.max((e.clientY - r.top) / r.height, 0), 1);
    return { x: Math.round(fx * width), y: Math.round(fy * height) };
  }

  down(e) {
    if (e.button !== 0 || !this.frameSize().width) return;
    if (this.drafts.length >= MAX_ROIS) { this.onChange('at most ' + MAX_ROIS + ' ROIs per stream'); return; }
    e.preventDefault();
    this.frame.setPointerCapture(e.pointerId);
    const p = this.point(e);
    this.drag = { x0: p.x, y0: p.y, x1: p.x, y1: p.y };
    this.render();
  }

  move(e) {
    if (!this.drag) return;
    const p = this.point(e);
    this.drag.x1 = p.x;
    this.drag.y1 = p.y;
    this.render();
  }

  up(e) {
    if (!this.drag) return;
    const d = this.drag;
    this.drag = null;
    if (this.frame.hasPointerCapture(e.pointerId)) this.frame.releasePointerCapture(e.pointerId);
    const rect = { left: Math.min(d.x0, d.x1), top: Math.min(d.y0, d.y1), width: Math.abs(d.x1 - d.x0), height: Math.abs(d.y1 - d.y0) };
    // A click is not a rectangle.
    if (rect.width >= 2 && rect.height >= 2) this.add(rect);
    else this.render();
  }

  // A rectangle typed in (the keyboard's way), in frame pixels; null when
  // it is not inside the frame.
  add(rect) {
    const { width, height } = this.frameSize();
    const ok = [rect.left, rect.top, rect.width, rect.height].every((v) => Number.isInteger(v) && v >= 0)
      && rect.width > 0 && rect.height > 0 && rect.left + rect.width <= width && rect.top + rect.height <= height;
    if (!ok) return 'the rectangle must lie inside the ' + width + 'x' + height + ' frame';
    if (this.drafts.length >= MAX_ROIS) return 'at most ' + MAX_ROIS + ' ROIs per stream';
    this.drafts.push(rect);
    this.render();
    this.onChange(null);
    return null;
  }

  clear() { this.drafts = []; this.render(); this.onChange(null); }

  // The roi/update list: the drafts, numbered.
  payload() {
    return this.drafts.map((r, i) => ({ roi_id: String(i), left: r.left, top: r.top, width: r.width, height: r.height }));
  }

  accepted() { this.sent = this.drafts.slice(); this.drafts = []; this.render(); }

  render() {
    const { width, height } = this.frameSize();
    this.layer.replaceChildren();
    if (!width || !height) return;
    const box = (r, cls, label) => {
      const el = document.createElement('div');
      el.className = 'box' + (cls ? ' ' + cls : '');
      el.style.left = (100 * r.left / width) + '%';
      el.style.top = (100 * r.top / height) + '%';
      el.style.width = (100 * r.width / width) + '%';
      el.style.height = (100 * r.height / height) + '%';
      if (label !== null) {
        const s = document.createElement('span');
        s.textContent = label;
        el.appendChild(s);
      }
      this.layer.appendChild(el);
    };
    this.sent.forEach((r, i) => box(r, '', String(i)));
    this.drafts.forEach((r, i) => box(r, 'draft', 'new ' + i));
    if (this.drag) {
      const d = this.drag;
      box({ left: Math.min(d.x0, d.x1), top: Math.min(d.y0, d.y1), width: Math.abs(d.x1 - d.x0), height: Math.abs(d.y1 - d.y0) }, 'draft', null);
    }
  }
}
"""##
}
