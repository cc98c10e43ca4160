// Embedded as a Swift string so the plugin carries it wherever it is loaded
// from (dlopen, no bundle). Edit the text between the delimiters as index.html.
extension ConsoleAssets {
    /// The page (GET / and GET /ui): markup only; no inline script or style, so the strict Content-Security-Policy holds.
    static let indexHTML = ##"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>swift-multiurisrc console</title>
<link rel="icon" href="/ui/icon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/ui/console.css">
<script type="module" src="/ui/console.js"></script>
</head>
<body>
<header class="top">
  <h1>swift-multiurisrc</h1>
  <span id="live" role="status" aria-live="polite">connecting</span>
  <button type="button" id="token-button" aria-controls="token-panel">Token</button>
</header>
<section id="token-panel" class="panel" hidden aria-labelledby="token-title">
  <h2 id="token-title">API token</h2>
  <p>This server asks for a token (the element's <code>rest-token</code>). It is kept for this tab only.</p>
  <form id="token-form">
    <label for="token-input">Token</label>
    <input id="token-input" type="password" autocomplete="off" spellcheck="false">
    <button type="submit">Use token</button>
  </form>
  <p id="token-error" class="error" role="alert"></p>
</section>
<main>
  <section class="panel" aria-labelledby="add-title">
    <h2 id="add-title">Add a camera</h2>
    <form id="add-form" class="add">
      <label>Camera id <input id="add-camera-id" name="camera_id" required maxlength="256" autocomplete="off"></label>
      <label>Name <input id="add-camera-name" name="camera_name" maxlength="256" autocomplete="off"></label>
      <label class="wide">URL <input id="add-camera-url" name="camera_url" required maxlength="4096" autocomplete="off" placeholder="rtsp://… or file:///…"></label>
      <button type="submit" id="add-submit">Add</button>
    </form>
    <p id="add-error" class="error" role="alert"></p>
  </section>
  <section aria-labelledby="streams-title">
    <h2 id="streams-title">Streams <span id="stream-count"></span></h2>
    <p id="grid-error" class="error" role="alert"></p>
    <div id="grid" class="grid"></div>
  </section>
</main>
</body>
</html>
"""##
}
