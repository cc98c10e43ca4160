// Embedded as a Swift string so the plugin carries it wherever it is loaded
// from (dlopen, no bundle). Edit the text between the delimiters as console.css.
extension ConsoleAssets {
    /// GET /ui/console.css: a grid that becomes one column on a phone, visible focus rings, light and dark.
    static let consoleCSS = ##"""
:root { color-scheme: light dark; --fg: #1b1f24; --bg: #f4f5f7; --card: #fff; --line: #c9ced6; --accent: #0b5fff; --bad: #b3261e; --ok: #1e7b34; --warn: #8a5a00; }
@media (prefers-color-scheme: dark) { :root { --fg: #e6e8eb; --bg: #15171a; --card: #1f2227; --line: #3a3f47; --accent: #7aa7ff; --bad: #ff8a80; --ok: #7fd48f; --warn: #f0c36a; } }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 16px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; padding: .5rem 1rem; border-bottom: 1px solid var(--line); background: var(--card); }
.top h1 { font-size: 1.1rem; margin: 0; flex: 1 1 auto; }
#live { font-size: .9rem; padding: .1rem .5rem; border-radius: 1rem; border: 1px solid var(--line); }
#live.live { color: var(--ok); border-color: var(--ok); }
#live.polling { color: var(--warn); border-color: var(--warn); }
#live.error { color: var(--bad); border-color: var(--bad); }
main { padding: .75rem 1rem 2rem; max-width: 110rem; margin: 0 auto; }
h2 { font-size: 1rem; margin: .5rem 0; }
.panel { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; padding: .5rem 1rem; margin: .75rem 1rem; }
main .panel { margin: 0 0 1rem; }
form.add { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: end; }
form.add label { display: flex; flex-direction: column; font-size: .9rem; flex: 1 1 10rem; }
form.add label.wide { flex: 3 1 16rem; }
input { font: inherit; padding: .3rem .4rem; border: 1px solid var(--line); border-radius: .3rem; background: var(--bg); color: var(--fg); min-width: 0; }
input[aria-invalid="true"] { border-color: var(--bad); outline: 2px solid var(--bad); }
button { font: inherit; padding: .3rem .8rem; border-radius: .3rem; border: 1px solid var(--accent); background: var(--accent); color: #fff; cursor: pointer; }
button.quiet { background: transparent; color: var(--accent); }
button.danger { border-color: var(--bad); background: transparent; color: var(--bad); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.error { color: var(--bad); margin: .25rem 0; min-height: 0; }
.error:empty { display: none; }
.grid { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fill, minmax(min(100%, 18rem), 1fr)); }
.card { background: var(--card); border: 1px solid var(--line); border-radius: .5rem; overflow: hidden; display: flex; flex-direction: column; }
.frame { position: relative; background: #000; aspect-ratio: 4 / 3; touch-action: none; cursor: crosshair; user-select: none; }
.frame img { display: block; width: 100%; height: 100%; object-fit: fill; }
.frame .box { position: absolute; border: 2px solid #ffd400; box-shadow: 0 0 0 1px #000; pointer-events: none; }
.frame .box.draft { border-style: dashed; border-color: #00e5ff; }
.frame .box span { position: absolute; left: 0; top: 0; font-size: .75rem; background: #000c; color: #fff; padding: 0 .25rem; }
.frame .nopic { position: absolute; inset: 0; display: grid; place-items: center; color: #ddd; font-size: .9rem; pointer-events: none; }
.meta { padding: .5rem .75rem 0; }
.meta h3 { margin: 0; font-size: 1rem; overflow-wrap: anywhere; }
.meta h3 .name { font-weight: normal; color: inherit; opacity: .8; }
.meta dl { display: grid; grid-template-columns: max-content 1fr max-content 1fr; gap: .1rem .6rem; margin: .4rem 0; font-size: .9rem; }
.meta dt { opacity: .75; }
.meta dd { margin: 0; overflow-wrap: break-word; min-width: 0; }
.state-playing { color: var(--ok); font-weight: 600; }
.state-error, .state-eos { color: var(--bad); font-weight: 600; }
.state-starting, .state-reconnecting { color: var(--warn); font-weight: 600; }
.controls { padding: .25rem .75rem .75rem; display: flex; flex-direction: column; gap: .4rem; font-size: .9rem; }
.row { display: flex; flex-wrap: wrap; gap: .4rem; align-items: center; }
.row input[type="number"] { width: 4.5rem; }
details summary { cursor: pointer; }
details .row input { width: 4.5rem; }
@media (max-width: 30rem) { .meta dl { grid-template-columns: max-content 1fr; } .top h1 { font-size: 1rem; } }
#token-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; }
.meta dd.labels { grid-column: 2 / -1; }
"""##
}
