#!/usr/bin/env python3
"""The web console in a real browser: Debian's headless chromium driven by
Selenium (through /usr/bin/chromedriver, so Selenium Manager never runs)
against real gst-launch-1.0 pipelines of swiftmultiurisrcbin on 127.0.0.1.

  python console_test.py --plugin-dir DIR [--artifacts DIR]

Checks, in order: the grid shows both cameras; their pictures (pixels of a
screenshot) are red and blue; a camera added through the form appears, green;
a rectangle dragged with the mouse reaches a downstream swifteventlog as
nv-roi-update in frame pixels; a removed camera disappears; a page of another
origin cannot remove one; the page is reachable by keyboard and fits a phone;
with rest-token set, a wrong token shows the error and the right one works;
over HTTPS (tls-certificate, a certificate made by openssl at test time that
the browser trusts by its key only) the page shows its camera and adds one.
Screenshots go to the artifacts folder (printed). Exits non-zero on the first
failed check. Every wait is bounded (times SWIFT_MULTIURISRC_WAIT_SLACK).
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import re
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zlib

from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

SLACK = float(os.environ.get("SWIFT_MULTIURISRC_WAIT_SLACK", "4"))
FRAME_W, FRAME_H = 320, 240


def log(text):
    print(f"console-test: {text}", flush=True)


class Failure(Exception):
    pass


def check(condition, text):
    if not condition:
        raise Failure(text)
    log(f"ok: {text}")


def wait_for(what, predicate, seconds, interval=0.1):
    """Polls predicate until it returns a true value, at most seconds * SLACK."""
    deadline = time.monotonic() + seconds * SLACK
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = predicate()
            if value:
                return value
        except (WebDriverException, OSError, ValueError) as e:
            last_error = e
        time.sleep(interval)
    raise Failure(f"timed out waiting for {what}" + (f" (last error: {last_error})" if last_error else ""))


# ---------------------------------------------------------------------------
# PNG screenshots: just enough of a decoder for Chromium's (8-bit RGB/RGBA,
# not interlaced), so the test needs no imaging library.

def decode_png(data):
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure("screenshot is not a PNG")
    pos, idat, width, height, channels = 8, b"", 0, 0, 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            width, height, depth, color, _, _, interlace = struct.unpack(">IIBBBBB", body)
            if depth != 8 or interlace != 0 or color not in (2, 6):
                raise Failure(f"unexpected PNG format depth={depth} color={color} interlace={interlace}")
            channels = 3 if color == 2 else 4
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
    raw = zlib.decompress(idat)
    stride = width * channels
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        filt, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            a = line[i - channels] if i >= channels else 0
            b = prev[i]
            c = prev[i - channels] if i >= channels else 0
            if filt == 1:
                line[i] = (line[i] + a) & 255
            elif filt == 2:
                line[i] = (line[i] + b) & 255
            elif filt == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif filt == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(line)
        prev = line
    return width, height, channels, rows


def mean_colour(png, box):
    """Mean RGB over the middle half of box (x, y, w, h) in screenshot pixels."""
    width, height, channels, rows = png
    x, y, w, h = box
    x0, x1 = int(x + w / 4), int(x + 3 * w / 4)
    y0, y1 = int(y + h / 4), int(y + 3 * h / 4)
    x0, x1 = max(0, x0), min(width, x1)
    y0, y1 = max(0, y0), min(height, y1)
    if x1 <= x0 or y1 <= y0:
        raise Failure(f"box {box} is outside the {width}x{height} screenshot")
    total, n = [0, 0, 0], 0
    for yy in range(y0, y1, 2):
        row = rows[yy]
        for xx in range(x0, x1, 2):
            o = xx * channels
            total[0] += row[o]
            total[1] += row[o + 1]
            total[2] += row[o + 2]
            n += 1
    return tuple(round(t / n) for t in total)


def is_colour(rgb, name):
    r, g, b = rgb
    return {
        "red": r > 180 and g < 80 and b < 80,
        "green": g > 180 and r < 80 and b < 80,
        "blue": b > 180 and r < 80 and g < 80,
    }[name]


# ---------------------------------------------------------------------------
# Processes

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_clip(path, pattern):
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", f"pattern={pattern}", "num-buffers=60", "!",
         f"video/x-raw,width={FRAME_W},height={FRAME_H},framerate=30/1", "!",
         "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30", "!", "h264parse", "!",
         "mp4mux", "!", "filesink", f"location={path}"],
        check=True, timeout=60 * SLACK, stdin=subprocess.DEVNULL)


class Pipeline:
    """gst-launch-1.0 swiftmultiurisrcbin ... ! swifteventlog ! fakesink in its own session."""

    def __init__(self, plugin_dir, workdir, name, uris, ids, names, extra=(), tls=None):
        self.port = free_port()
        # tls: a Certificate; the port then speaks HTTPS only.
        self.tls = tls
        if tls is not None:
            extra = [*extra, f"tls-certificate={tls.server_pem}"]
        self.log_path = os.path.join(workdir, f"{name}.log")
        env = dict(os.environ, GST_PLUGIN_PATH=plugin_dir, GST_DEBUG="swifteventlog:4,swiftsnapshot:4",
                   GST_DEBUG_NO_COLOR="1", GST_REGISTRY=os.path.join(workdir, "registry.bin"))
        self.argv = ["gst-launch-1.0", "swiftmultiurisrcbin", "uri-list=" + ",".join(uris),
                     "sensor-id-list=" + ",".join(ids), "sensor-name-list=" + ",".join(names),
                     f"width={FRAME_W}", f"height={FRAME_H}", "ip-address=127.0.0.1", f"port={self.port}",
                     "live-source=true", "file-loop=true", *extra, "!", "swifteventlog", "!", "fakesink", "sync=true"]
        self.log_file = open(self.log_path, "w")
        self.proc = subprocess.Popen(self.argv, env=env, stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.base = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.ssl_context = ssl.create_default_context(cafile=tls.cert_pem) if tls else None

    def api(self, route, body=None, token=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(f"{self.base}/api/v1/{route}", data=data)
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        with urllib.request.urlopen(req, timeout=5 * SLACK, context=self.ssl_context) as res:
            return json.loads(res.read())

    def wait_ready(self, token=None):
        def ready():
            if self.proc.poll() is not None:
                raise Failure(f"gst-launch-1.0 exited with {self.proc.returncode}: see {self.log_path}")
            info = self.api("stream/get-stream-info", token=token)
            streams = info["stream-info"]["stream-info"]
            return streams and all(s["state"] == "playing" for s in streams)
        wait_for(f"pipeline on port {self.port} playing", ready, 20)

    def log_text(self):
        self.log_file.flush()
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGINT)
            try:
                self.proc.wait(timeout=10 * SLACK)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.log_file.close()


class Certificate:
    """A self-signed certificate for 127.0.0.1 made by openssl, and the
    SHA-256 of its public key, which chromium is told to trust (and
    nothing else: --ignore-certificate-errors-spki-list)."""

    def __init__(self, workdir):
        self.cert_pem = os.path.join(workdir, "cert.pem")
        key_pem = os.path.join(workdir, "key.pem")
        self.server_pem = os.path.join(workdir, "server.pem")
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                        "-keyout", key_pem, "-out", self.cert_pem],
                       check=True, capture_output=True, timeout=30 * SLACK, stdin=subprocess.DEVNULL)
        with open(self.server_pem, "w") as out:
            for part in (self.cert_pem, key_pem):
                with open(part) as f:
                    out.write(f.read())
        public_key = subprocess.run(["openssl", "x509", "-in", self.cert_pem, "-pubkey", "-noout"],
                                    check=True, capture_output=True, timeout=30 * SLACK).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform", "der"], input=public_key,
                             check=True, capture_output=True, timeout=30 * SLACK).stdout
        self.spki_sha256 = base64.b64encode(hashlib.sha256(der).digest()).decode()


def start_browser(workdir, trusted_spki=None):
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for flag in [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        # Nothing but loopback: no background traffic, no updates, no lookups.
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--no-first-run", "--no-default-browser-check",
        "--disable-domain-reliability", "--disable-client-side-phishing-detection", "--no-pings",
        "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
        "--no-proxy-server", "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        "--window-size=900,1000", "--force-device-scale-factor=1", "--hide-scrollbars",
        f"--user-data-dir={os.path.join(workdir, 'chromium-profile')}",
        *([f"--ignore-certificate-errors-spki-list={trusted_spki}"] if trusted_spki else []),
    ]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path="/usr/bin/chromedriver", log_output=os.path.join(workdir, "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    driver.set_page_load_timeout(20 * SLACK)
    driver.set_script_timeout(20 * SLACK)
    return driver


# ---------------------------------------------------------------------------
# The checks

def snapshot_requests(p):
    """GET stream/snapshot answers so far, from the element's Prometheus counters."""
    req = urllib.request.Request(f"{p.base}/api/v1/metrics", headers={"Accept": "text/plain"})
    with urllib.request.urlopen(req, timeout=5 * SLACK) as res:
        text = res.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
               if line.startswith("swiftmultiurisrc_rest_requests_total{") and 'route="/stream/snapshot"' in line)


def card(driver, camera_id):
    found = driver.find_elements(By.CSS_SELECTOR, f'article.card[data-camera-id="{camera_id}"]')
    return found[0] if found else None


def picture_loaded(driver, camera_id):
    c = card(driver, camera_id)
    if c is None:
        return False
    return driver.execute_script(
        "const i = arguments[0].querySelector('.frame img');"
        "return i && i.complete && i.naturalWidth > 0 && i.src.startsWith('blob:');", c)


def picture_box(driver, camera_id):
    """The picture's box in screenshot pixels (the page is not scrolled: it is
    scrolled into view first and the box read in viewport coordinates)."""
    c = card(driver, camera_id)
    img = c.find_element(By.CSS_SELECTOR, ".frame img")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", img)
    r = driver.execute_script(
        "const r = arguments[0].getBoundingClientRect(); return [r.x, r.y, r.width, r.height, devicePixelRatio];", img)
    return [v * r[4] for v in r[:4]]


def screenshot(driver, artifacts, name):
    path = os.path.join(artifacts, name)
    png = driver.get_screenshot_as_png()
    with open(path, "wb") as f:
        f.write(png)
    log(f"screenshot {path}")
    return decode_png(png)


def check_colours(driver, artifacts, name, expected):
    for camera_id in expected:
        wait_for(f"the picture of {camera_id}", lambda: picture_loaded(driver, camera_id), 15)
    # A fresh picture after loading: the first may be from before the stream played.
    time.sleep(0.5)
    for camera_id, colour in expected.items():
        box = picture_box(driver, camera_id)
        png = screenshot(driver, artifacts, f"{name}-{camera_id}.png")
        rgb = mean_colour(png, box)
        check(is_colour(rgb, colour), f"{camera_id}'s picture is {colour} on screen (mean RGB {rgb})")


def browser_logs(driver):
    try:
        return driver.get_log("browser")
    except WebDriverException:
        return []


def check_no_page_errors(driver, allowed=()):
    bad = [e for e in browser_logs(driver) if e.get("level") == "SEVERE"
           and not any(a in e.get("message", "") for a in allowed)]
    check(not bad, "no script error or Content-Security-Policy violation in the browser's log"
          + (f": {bad}" if bad else ""))


def run_open(driver, plugin_dir, workdir, artifacts, clips):
    p = Pipeline(plugin_dir, workdir, "pipeline-open", [f"file://{clips['red']}", f"file://{clips['blue']}"],
                 ["cam-red", "cam-blue"], ["red", "blue"])
    try:
        p.wait_ready()
        driver.get(p.base + "/")
        wait_for("two cards", lambda: card(driver, "cam-red") and card(driver, "cam-blue"), 15)
        text = driver.find_element(By.ID, "grid").text
        check("cam-red" in text and "cam-blue" in text, "the grid shows both camera ids")
        wait_for("state playing on both cards", lambda: all(
            card(driver, c).find_element(By.CSS_SELECTOR, ".state").text == "playing" for c in ["cam-red", "cam-blue"]), 10)
        wait_for("live notifications", lambda: driver.find_element(By.ID, "live").text == "live", 10)
        check_colours(driver, artifacts, "01-grid", {"cam-red": "red", "cam-blue": "blue"})
        wait_for("an fps figure", lambda: float(card(driver, "cam-red").find_element(By.CSS_SELECTOR, ".fps").text or 0) > 0, 10)

        # Add a third camera through the form.
        driver.find_element(By.ID, "add-camera-id").send_keys("cam-green")
        driver.find_element(By.ID, "add-camera-name").send_keys("green")
        driver.find_element(By.ID, "add-camera-url").send_keys(f"file://{clips['green']}")
        driver.find_element(By.ID, "add-submit").click()
        wait_for("the added camera's card", lambda: card(driver, "cam-green"), 15)
        check_colours(driver, artifacts, "02-added", {"cam-green": "green"})
        api_ids = [s["camera_id"] for s in p.api("stream/get-stream-info")["stream-info"]["stream-info"]]
        check("cam-green" in api_ids, "the element has the camera added through the form")

        # A bad add shows the API's reason next to the form.
        driver.find_element(By.ID, "add-camera-id").send_keys("cam-bad")
        driver.find_element(By.ID, "add-camera-url").send_keys("file:///no/such/clip.mp4")
        driver.find_element(By.ID, "add-submit").click()
        wait_for("the add error", lambda: "camera_url" in driver.find_element(By.ID, "add-error").text, 10)
        check(driver.find_element(By.ID, "add-camera-url").get_attribute("aria-invalid") == "true",
              f"a refused add names the field next to the form: {driver.find_element(By.ID, 'add-error').text!r}")
        driver.find_element(By.ID, "add-camera-id").clear()
        driver.find_element(By.ID, "add-camera-url").clear()

        # Draw an ROI on cam-blue's picture with the mouse.
        blue = card(driver, "cam-blue")
        frame = blue.find_element(By.CSS_SELECTOR, ".frame")
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", frame)
        rect = driver.execute_script("const r = arguments[0].getBoundingClientRect(); return [r.width, r.height];", frame)
        check(abs(rect[0] - FRAME_W) > FRAME_W * 0.1,
              f"the picture is shown at {rect[0]:.0f} CSS px for a {FRAME_W} px frame (coordinates must be converted)")
        # From 1/4, 1/4 to 3/4, 5/8 of the picture; offsets are from its centre.
        x0, y0 = round(rect[0] * 0.25), round(rect[1] * 0.25)
        x1, y1 = round(rect[0] * 0.75), round(rect[1] * 0.625)
        cx, cy = rect[0] / 2, rect[1] / 2
        ActionChains(driver, duration=50).move_to_element_with_offset(frame, int(x0 - cx), int(y0 - cy)) \
            .click_and_hold().move_by_offset(int((x1 - x0) / 2), int((y1 - y0) / 2)) \
            .move_by_offset(int((x1 - x0) - int((x1 - x0) / 2)), int((y1 - y0) - int((y1 - y0) / 2))).release().perform()
        wait_for("a drawn rectangle", lambda: blue.find_elements(By.CSS_SELECTOR, ".box.draft"), 5)
        expected = (FRAME_W * 0.25, FRAME_H * 0.25, FRAME_W * 0.5, FRAME_H * 0.375)
        screenshot(driver, artifacts, "03-roi-drawn.png")
        blue.find_element(By.CSS_SELECTOR, "button.send-rois").click()
        source_id = blue.get_attribute("data-source-id")
        pattern = re.compile(r"ROI_UPDATE stream (\d+): (\d+) rois? \[0: (\d+),(\d+) (\d+)x(\d+)\]")
        found = wait_for("nv-roi-update at the downstream swifteventlog",
                         lambda: [m for m in pattern.finditer(p.log_text()) if m.group(1) == source_id], 10)
        m = found[-1]
        got = tuple(int(v) for v in m.group(3, 4, 5, 6))
        check(m.group(2) == "1" and all(abs(g - e) <= 3 for g, e in zip(got, expected)),
              f"nv-roi-update for stream {source_id} carries the drawn rectangle in frame pixels: {got} "
              f"(drawn at {tuple(round(v) for v in expected)} ±3)")
        wait_for("the sent rectangle shown", lambda: blue.find_elements(By.CSS_SELECTOR, ".box:not(.draft)"), 5)
        screenshot(driver, artifacts, "04-roi-sent.png")

        # Keyboard: Tab from the top reaches the add form and a card's controls.
        driver.find_element(By.TAG_NAME, "body").click()
        driver.execute_script("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0);")
        reached = set()
        body = driver.switch_to.active_element
        for _ in range(40):
            body.send_keys(Keys.TAB)
            body = driver.switch_to.active_element
            reached.add(body.get_attribute("id") or body.get_attribute("class") or body.tag_name)
        check("add-camera-id" in reached and any("send-rois" in r for r in reached),
              "Tab reaches the add form and the ROI controls")

        # Remove a camera with its button.
        card(driver, "cam-red").find_element(By.CSS_SELECTOR, "button.remove").click()
        wait_for("cam-red's card gone", lambda: card(driver, "cam-red") is None, 10)
        api_ids = [s["camera_id"] for s in p.api("stream/get-stream-info")["stream-info"]["stream-info"]]
        check("cam-red" not in api_ids, "the removed camera is gone from the element")
        screenshot(driver, artifacts, "05-removed.png")

        # A page of another origin cannot drive the API (the request is
        # refused before any route runs; the camera stays).
        evil = EvilSite(p.port, "cam-blue")
        try:
            driver.get(evil.url)
            outcome = driver.execute_async_script("const done = arguments[0]; window.attack().then(done, done);")
            log(f"the other origin's requests: {outcome}")
            time.sleep(0.5)
            api_ids = [s["camera_id"] for s in p.api("stream/get-stream-info")["stream-info"]["stream-info"]]
            check("cam-blue" in api_ids, "a page of another origin cannot remove a camera")
        finally:
            evil.close()

        # Pictures refresh only while the tab is visible: with another tab
        # in front, the server sees no snapshot request; back, it does.
        driver.get(p.base + "/")
        wait_for("the console again", lambda: picture_loaded(driver, "cam-blue"), 15)
        console_tab = driver.current_window_handle
        driver.switch_to.new_window("tab")
        driver.get("about:blank")
        hidden = driver.execute_script("return 1;")
        time.sleep(1.0)
        quiet_start = snapshot_requests(p)
        time.sleep(2.0)
        quiet = snapshot_requests(p) - quiet_start
        driver.close()
        driver.switch_to.window(console_tab)
        state = driver.execute_script("return document.visibilityState;")
        back_start = snapshot_requests(p)
        time.sleep(2.0)
        back = snapshot_requests(p) - back_start
        check(hidden == 1 and quiet <= 1 and back >= 4,
              f"snapshots stop while the tab is hidden ({quiet} requests in 2 s) and resume when it is {state} ({back} in 2 s)")

        # A phone-sized window: one column, nothing wider than the screen.
        driver.get(p.base + "/ui/")
        driver.set_window_size(390, 844)
        wait_for("cards on the phone-sized page", lambda: picture_loaded(driver, "cam-blue"), 15)
        widths = driver.execute_script("return [document.documentElement.scrollWidth, window.innerWidth];")
        check(widths[0] <= widths[1] + 1, f"no horizontal scrolling at phone width (content {widths[0]} px, window {widths[1]} px)")
        screenshot(driver, artifacts, "06-phone.png")
        driver.set_window_size(900, 1000)
        check_no_page_errors(driver, allowed=("no/such/clip", "stream/add", "/api/v1/stream/remove", "127.0.0.1:" + str(evil.port)))
    finally:
        # Leave the page before its server goes, so its failed requests do
        # not land in the next check's log.
        try:
            driver.get("about:blank")
            browser_logs(driver)
        except WebDriverException:
            pass
        p.stop()


class EvilSite:
    """A page on another origin (another port of 127.0.0.1) that tries to
    remove a camera with fetch, both as a simple request and a preflighted one."""

    def __init__(self, target_port, camera_id):
        body = json.dumps({"key": "sensor", "value": {"camera_id": camera_id, "change": "camera_remove"}})
        page = f"""<!doctype html><title>other origin</title><script>
window.attack = async () => {{
  const url = 'http://127.0.0.1:{target_port}/api/v1/stream/remove';
  const out = [];
  for (const opts of [{{method: 'POST', mode: 'no-cors', body: {json.dumps(body)}}},
                      {{method: 'POST', headers: {{'Content-Type': 'application/json'}}, body: {json.dumps(body)}}}]) {{
    try {{ const r = await fetch(url, opts); out.push(r.type + ' ' + r.status); }} catch (e) {{ out.push('refused: ' + e); }}
  }}
  return out;
}};
</script>""".encode()

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def run_token(driver, plugin_dir, workdir, artifacts, clips):
    token = "s3cret-console-token"
    p = Pipeline(plugin_dir, workdir, "pipeline-token", [f"file://{clips['blue']}"], ["cam-blue"], ["blue"],
                 extra=[f"rest-token={token}"])
    try:
        p.wait_ready(token=token)
        driver.get(p.base + "/")
        driver.execute_script("sessionStorage.clear();")
        driver.get(p.base + "/")
        wait_for("the token panel", lambda: driver.find_element(By.ID, "token-panel").is_displayed(), 10)
        check(card(driver, "cam-blue") is None, "without a token the page shows no stream")
        field = driver.find_element(By.ID, "token-input")
        field.send_keys("wrong-token")
        field.send_keys(Keys.ENTER)
        wait_for("the wrong token's error",
                 lambda: "refused" in driver.find_element(By.ID, "token-error").text
                 and "401" in driver.find_element(By.ID, "grid-error").text, 10)
        check(driver.find_element(By.ID, "token-panel").is_displayed() and card(driver, "cam-blue") is None,
              f"a wrong token shows the error: {driver.find_element(By.ID, 'token-error').text!r}")
        screenshot(driver, artifacts, "07-wrong-token.png")
        field = driver.find_element(By.ID, "token-input")
        field.send_keys(token)
        field.send_keys(Keys.ENTER)
        wait_for("the card once the token is right", lambda: card(driver, "cam-blue"), 10)
        check_colours(driver, artifacts, "08-token", {"cam-blue": "blue"})
        check(not driver.find_element(By.ID, "token-panel").is_displayed(), "the right token hides the token panel")
        wait_for("live notifications with the token", lambda: driver.find_element(By.ID, "live").text == "live", 10)
        stored = driver.execute_script("return [sessionStorage.getItem('swiftmultiurisrc.token'), localStorage.length];")
        check(stored == [token, 0], "the token is kept in sessionStorage only")
        check_no_page_errors(driver, allowed=("401",))
    finally:
        try:
            driver.get("about:blank")
        except WebDriverException:
            pass
        p.stop()


def run_tls(driver, plugin_dir, workdir, artifacts, clips, certificate):
    p = Pipeline(plugin_dir, workdir, "pipeline-tls", [f"file://{clips['blue']}"], ["cam-blue"], ["blue"],
                 tls=certificate)
    try:
        p.wait_ready()
        driver.get(p.base + "/")
        check(driver.execute_script("return location.protocol + ' ' + window.isSecureContext;") == "https: true",
              "the page is loaded over HTTPS as a secure context")
        wait_for("the card over HTTPS", lambda: card(driver, "cam-blue"), 15)
        wait_for("live notifications over HTTPS", lambda: driver.find_element(By.ID, "live").text == "live", 10)
        check_colours(driver, artifacts, "09-tls", {"cam-blue": "blue"})
        # A POST from the page: its Origin is https://127.0.0.1:<port>.
        driver.find_element(By.ID, "add-camera-id").send_keys("cam-green")
        driver.find_element(By.ID, "add-camera-url").send_keys(f"file://{clips['green']}")
        driver.find_element(By.ID, "add-submit").click()
        wait_for("the camera added over HTTPS", lambda: card(driver, "cam-green"), 15)
        check_colours(driver, artifacts, "10-tls-added", {"cam-green": "green"})
        api_ids = [s["camera_id"] for s in p.api("stream/get-stream-info")["stream-info"]["stream-info"]]
        check(api_ids == ["cam-blue", "cam-green"], f"the element has both cameras after an add over HTTPS: {api_ids}")
        check_no_page_errors(driver)
    finally:
        try:
            driver.get("about:blank")
        except WebDriverException:
            pass
        p.stop()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin-dir", default=os.environ.get("SWIFT_MULTIURISRC_PLUGIN_DIR"))
    parser.add_argument("--artifacts", default=None)
    args = parser.parse_args()
    if not args.plugin_dir:
        print("console-test: --plugin-dir (or SWIFT_MULTIURISRC_PLUGIN_DIR) is required", file=sys.stderr)
        return 2
    artifacts = args.artifacts or tempfile.mkdtemp(prefix="console-artifacts.")
    os.makedirs(artifacts, exist_ok=True)
    log(f"artifacts (screenshots, logs) in {artifacts}")
    workdir = tempfile.mkdtemp(prefix="console-test.")
    started = time.monotonic()
    driver = None
    try:
        clips = {}
        for colour in ("red", "blue", "green"):
            clips[colour] = os.path.join(workdir, f"{colour}.mp4")
            make_clip(clips[colour], colour)
        certificate = Certificate(workdir)
        driver = start_browser(workdir, trusted_spki=certificate.spki_sha256)
        run_open(driver, args.plugin_dir, workdir, artifacts, clips)
        run_token(driver, args.plugin_dir, workdir, artifacts, clips)
        run_tls(driver, args.plugin_dir, workdir, artifacts, clips, certificate)
        log(f"passed in {time.monotonic() - started:.1f} s")
        return 0
    except Failure as e:
        log(f"FAILED: {e}")
        if driver is not None:
            try:
                screenshot(driver, artifacts, "failure.png")
            except WebDriverException:
                pass
        return 1
    finally:
        if driver is not None:
            driver.quit()
        for name in os.listdir(workdir):
            if name.endswith(".log"):
                shutil.copy(os.path.join(workdir, name), artifacts)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
