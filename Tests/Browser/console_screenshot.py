#!/usr/bin/env python3
"""Makes docs/console.png: the console in headless chromium with four real
streams (H.264 clips of videotestsrc patterns with their names and running
time burnt in) and one ROI sent. Not part of the test run.

  python console_screenshot.py --plugin-dir DIR --out docs/console.png
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

from selenium.webdriver.common.by import By

import console_test as ct


def make_clip(path, pattern, label):
    subprocess.run(
        ["gst-launch-1.0", "-q", "videotestsrc", f"pattern={pattern}", "num-buffers=300", "!",
         "video/x-raw,width=640,height=360,framerate=30/1", "!",
         "textoverlay", f"text={label}", "valignment=top", "halignment=left", "font-desc=Sans 20", "!",
         "timeoverlay", "valignment=bottom", "halignment=right", "font-desc=Sans 16", "!",
         "x264enc", "tune=zerolatency", "speed-preset=ultrafast", "key-int-max=30", "!", "h264parse", "!",
         "mp4mux", "!", "filesink", f"location={path}"],
        check=True, timeout=120, stdin=subprocess.DEVNULL)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--plugin-dir", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="console-shot.")
    cams = [("gate-north", "Gate north", "smpte"), ("loading-dock", "Loading dock", "ball"),
            ("lobby", "Lobby", "pinwheel"), ("yard", "Yard", "circular")]
    uris = []
    for cam_id, name, pattern in cams:
        path = os.path.join(workdir, f"{cam_id}.mp4")
        make_clip(path, pattern, name)
        uris.append(f"file://{path}")
    ct.FRAME_W, ct.FRAME_H = 640, 360
    p = ct.Pipeline(args.plugin_dir, workdir, "shot", uris[:3], [c[0] for c in cams[:3]], [c[1] for c in cams[:3]])
    driver = None
    try:
        p.wait_ready()
        # The fourth through the API, with labels (shown in its card).
        p.api("stream/add", {"key": "sensor", "value": {
            "camera_id": cams[3][0], "camera_name": cams[3][1], "camera_url": uris[3], "change": "camera_add",
            "labels": {"site": "depot-3", "zone": "B"}, "wait_for_first_frame_ms": 5000}})
        driver = ct.start_browser(workdir)
        driver.set_window_size(1280, 900)
        driver.get(p.base + "/")
        for cam_id, _, _ in cams:
            ct.wait_for(f"{cam_id}'s picture", lambda: ct.picture_loaded(driver, cam_id), 20)
        card = ct.card(driver, "loading-dock")
        card.find_element(By.CSS_SELECTOR, "details summary").click()
        fields = card.find_elements(By.CSS_SELECTOR, "details input")
        for field, value in zip(fields, ["220", "90", "260", "200"]):
            field.send_keys(value)
        card.find_element(By.CSS_SELECTOR, "details button").click()
        card.find_element(By.CSS_SELECTOR, "details summary").click()
        card.find_element(By.CSS_SELECTOR, "button.send-rois").click()
        ct.wait_for("the sent ROI", lambda: card.find_elements(By.CSS_SELECTOR, ".box:not(.draft)"), 10)
        driver.execute_script("window.scrollTo(0, 0); document.activeElement.blur();")
        time.sleep(1.0)
        driver.get_screenshot_as_file(args.out)
        print(f"wrote {args.out}")
        return 0
    finally:
        if driver is not None:
            driver.quit()
        p.stop()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
