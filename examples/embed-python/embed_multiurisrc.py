#!/usr/bin/python3
"""swiftmultiurisrcbin inside a Python application (PyGObject).

The pipeline is built by hand, as a DeepStream Python application builds
nvmultiurisrcbin into its own:

    swiftmultiurisrcbin (DeepStream's property names)  ! fakesink
                                   a pad probe here ^ reads ROI events

- The bin posts "stream-add" / "stream-remove" element messages on the bus
  when a camera joins or leaves (uri-list or REST); they are printed the way
  deepstream-test5 prints them.
- A pad probe on fakesink's sink pad sees every downstream event; the ROI
  update (DeepStream's "nv-roi-update", sent after POST /api/v1/roi/update)
  is read field by field from its GstStructure and posted to the bus as a
  "roi-parsed" application message.

Usage:
    embed_multiurisrc.py [--port PORT] URI [URI...]
        plays the URIs and prints curl commands to try; Ctrl-C ends it.
    embed_multiurisrc.py --self-test [--port PORT] [--add-uri URI] URI [URI...]
        drives its own REST server on 127.0.0.1 (stream/add, roi/update,
        stream/remove) and exits 0 only when the bus messages and the ROIs,
        as sent, arrive within bounded waits.

Needs Debian's python3-gi and gir1.2-gstreamer-1.0 (run it with the system
/usr/bin/python3), and GST_PLUGIN_PATH pointing at a folder holding only
libgstswiftmultiurisrc.so.
"""
import argparse
import json
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

import gi

gi.require_version("Gst", "1.0")
from gi.repository import GLib, Gst  # noqa: E402

# DeepStream's custom event type value: GST_EVENT_MAKE_TYPE(406, downstream|serialized).
ROI_UPDATE = 103942
ADDED_CAMERA = "cam-rest"


class App:
    """The pipeline and what its bus said."""

    def __init__(self, uris, port):
        self.port = port
        self.failed = False
        self.added = {}        # sensor-id -> source-id, from stream-add
        self.removed = set()   # sensor-ids, from stream-remove
        self.rois = []         # one (event type, stream_id, [(roi_id, l, t, w, h)]) per ROI event
        self.loop = None       # interactive mode only

        self.pipeline = Gst.Pipeline.new("embed")
        src = Gst.ElementFactory.make("swiftmultiurisrcbin", "src")
        sink = Gst.ElementFactory.make("fakesink", "sink")
        if src is None:
            sys.exit("swiftmultiurisrcbin not found: point GST_PLUGIN_PATH at a folder "
                     "holding only libgstswiftmultiurisrc.so")
        # DeepStream's names; the lists are comma-separated, matched by position.
        src.set_property("uri-list", ",".join(uris))
        src.set_property("sensor-id-list", ",".join(f"cam-{i}" for i in range(len(uris))))
        src.set_property("sensor-name-list", ",".join(f"camera {i}" for i in range(len(uris))))
        src.set_property("ip-address", "127.0.0.1")   # loopback only
        src.set_property("port", str(port))           # a string, as in DeepStream
        src.set_property("max-batch-size", 4)         # at most 4 cameras
        src.set_property("live-source", True)         # files paced like cameras
        src.set_property("file-loop", True)           # files start again at their end
        src.set_property("drop-pipeline-eos", True)   # no EOS when the last one leaves
        sink.set_property("sync", True)
        self.pipeline.add(src)
        self.pipeline.add(sink)
        src.link(sink)
        # Events reach the probe on the streaming thread, in order with the buffers.
        sink.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, self.on_event)

    def on_event(self, pad, info):
        event = info.get_event()
        s = event.get_structure()
        # The structure name tells a ROI update; the type number is DeepStream's too.
        if s is not None and s.has_name("nv-roi-update"):
            # Field names as DeepStream spells them: "stream_id", "roi-count",
            # then roi_id_<i>, left_<i>, top_<i>, width_<i>, height_<i>.
            count = s.get_uint("roi-count")[1]
            rois = [(s.get_string(f"roi_id_{i}"),) +
                    tuple(s.get_uint(f"{k}_{i}")[1] for k in ("left", "top", "width", "height"))
                    for i in range(count)]
            stream_id = s.get_string("stream_id")
            type_number = event_type_number(event)
            print(f"probe: ROI update (event type {type_number}) for stream {stream_id}: {rois}",
                  flush=True)
            # Tell the application thread through the bus, as an element would.
            msg = Gst.Structure.new_empty("roi-parsed")
            msg.set_value("event-type", type_number)
            msg.set_value("stream-id", stream_id)
            msg.set_value("rois", json.dumps(rois))
            pad.get_parent_element().post_message(Gst.Message.new_application(None, msg))
        return Gst.PadProbeReturn.OK

    def handle_message(self, msg):
        s = msg.get_structure()
        if msg.type == Gst.MessageType.ELEMENT and s.get_name() in ("stream-add", "stream-remove"):
            # DeepStream's fields: source-id (uint), sensor-id, sensor-name, uri.
            source_id = s.get_uint("source-id")[1]
            sensor = s.get_string("sensor-id") or ""
            if s.get_name() == "stream-add":
                print(f"new stream added [{source_id}:{sensor}:{s.get_string('sensor-name')}] "
                      f"{s.get_string('uri')}", flush=True)
                self.added[sensor] = source_id
            else:
                print(f"new stream removed [{source_id}:{sensor}]", flush=True)
                self.removed.add(sensor)
        elif msg.type == Gst.MessageType.APPLICATION and s.get_name() == "roi-parsed":
            rois = [tuple(r) for r in json.loads(s.get_string("rois"))]
            self.rois.append((s.get_value("event-type"), s.get_string("stream-id"), rois))
        elif msg.type == Gst.MessageType.WARNING:
            print(f"warning from {msg.src.get_name()}: {msg.parse_warning()[0].message}",
                  file=sys.stderr, flush=True)
        elif msg.type == Gst.MessageType.ERROR:
            err, debug = msg.parse_error()
            print(f"ERROR from {msg.src.get_name()}: {err.message}\n{debug}", file=sys.stderr)
            self.failed = True
            if self.loop:
                self.loop.quit()
        elif msg.type == Gst.MessageType.EOS:
            print("end of stream")
            if self.loop:
                self.loop.quit()

    def wait_until(self, done, seconds, what):
        """Self-test: reads bus messages until done() is true, an ERROR
        arrives or seconds pass (messages wait in the bus' queue meanwhile)."""
        bus = self.pipeline.get_bus()
        deadline = time.monotonic() + seconds
        while not done() and not self.failed:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            msg = bus.timed_pop(int(left * Gst.SECOND))
            if msg:
                self.handle_message(msg)
        if not done():
            print(f"self-test: FAILED: no {what} within {seconds} s", file=sys.stderr)
            return False
        return True

    def rest(self, route, body=None, quiet=False):
        """One REST call (printed unless quiet); returns the outcome: the body's "status"
        ("HTTP/1.1 200 OK": DeepStream answers status line 200 for every
        outcome of its routes), else the status line's code; None without answer."""
        url = f"http://127.0.0.1:{self.port}/api/v1/{route}"
        data = json.dumps(body).encode() if body is not None else None

        def show(text):
            if not quiet:
                print(text, flush=True)

        show(f">>> {'POST' if data else 'GET'} {url} {data.decode() if data else ''}")
        request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                code, text = answer.status, answer.read().decode()
        except urllib.error.HTTPError as e:
            code, text = e.code, e.read().decode()
        except OSError as e:   # refused, timed out: no answer
            show(f"<<< no answer ({e})")
            return None
        show(f"<<< {code} {text}")
        try:
            status = json.loads(text).get("status", "")
            return int(status.split()[1]) if status.startswith("HTTP/") else code
        except (ValueError, AttributeError, IndexError):
            return code


def event_type_number(event):
    """GST_EVENT_TYPE as a number: PyGObject's Gst.EventType knows only
    GStreamer's own values, so reading event.type may fail for custom ones."""
    try:
        return int(event.type)
    except (ValueError, TypeError):
        return -1


def free_port():
    """A port nobody listens on: bind port 0, read what the kernel chose."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_test(app, add_uri):
    def rest_is_up():
        if app.rest("stream/get-stream-info", quiet=True) == 200:
            return True
        time.sleep(0.2)
        return False

    if not app.wait_until(rest_is_up, 30, "answer of the REST server"):
        return 1

    def expect(route, body, ok):
        outcome = app.rest(route, body)
        if (outcome == 200) != ok:
            print(f"self-test: FAILED: {route} answered {outcome}, expected "
                  f"{'200' if ok else 'a refusal'}", file=sys.stderr)
        return (outcome == 200) == ok

    # Control: a ROI update for a camera that is not there yet is refused and
    # must not reach the probe (checked at the end).
    if not expect("roi/update", {"stream": {"stream_id": ADDED_CAMERA, "roi_count": 1, "roi": [
            {"roi_id": "x", "left": 1, "top": 2, "width": 3, "height": 4}]}}, ok=False):
        return 1

    sensor = {"key": "sensor", "value": {"camera_id": ADDED_CAMERA, "camera_name": "added over REST",
                                         "camera_url": add_uri, "change": "camera_add"}}
    if not expect("stream/add", sensor, ok=True) or not app.wait_until(
            lambda: ADDED_CAMERA in app.added, 20, f"stream-add message for {ADDED_CAMERA}"):
        return 1
    source_id = str(app.added[ADDED_CAMERA])

    # Two rectangles for the new camera, by its source id; the probe must read these.
    sent = [("door", 10, 20, 160, 120), ("1", 100, 60, 40, 30)]
    body = {"stream": {"stream_id": source_id, "roi_count": len(sent), "roi": [
        {"roi_id": r[0], "left": r[1], "top": r[2], "width": r[3], "height": r[4]} for r in sent]}}
    if not expect("roi/update", body, ok=True) or not app.wait_until(
            lambda: app.rois, 20, "ROI event seen by the probe"):
        return 1
    if app.rois[0] != (ROI_UPDATE, source_id, sent):
        print(f"self-test: FAILED: probe read {app.rois[0]}, expected {(ROI_UPDATE, source_id, sent)}",
              file=sys.stderr)
        return 1

    sensor["value"]["change"] = "camera_remove"
    if not expect("stream/remove", sensor, ok=True) or not app.wait_until(
            lambda: ADDED_CAMERA in app.removed, 20, f"stream-remove message for {ADDED_CAMERA}"):
        return 1

    if len(app.rois) != 1:
        print(f"self-test: FAILED: {len(app.rois)} ROI events, expected 1 "
              "(the refused update must not send one)", file=sys.stderr)
        return 1
    print(f"self-test: passed (stream-add, ROI {sent}, stream-remove)")
    return 0


def main():
    parser = argparse.ArgumentParser(description="swiftmultiurisrcbin embedded in Python")
    parser.add_argument("--self-test", action="store_true",
                        help="drive the REST server and check what arrives")
    parser.add_argument("--port", type=int, default=0, help="REST port (default: a free one)")
    parser.add_argument("--add-uri", help="URI the self-test adds (default: the first URI)")
    parser.add_argument("uris", nargs="+", metavar="URI")
    args = parser.parse_args()

    Gst.init(None)
    app = App(args.uris, args.port or free_port())
    if app.pipeline.set_state(Gst.State.PLAYING) == Gst.StateChangeReturn.FAILURE:
        sys.exit("the pipeline did not start")

    if args.self_test:
        rc = self_test(app, args.add_uri or args.uris[0])
        rc = 1 if app.failed else rc
    else:
        base = f"http://127.0.0.1:{app.port}/api/v1"
        add = json.dumps({"key": "sensor", "value": {"camera_id": "cam-new", "camera_url": args.uris[0],
                                                     "change": "camera_add"}})
        roi = json.dumps({"stream": {"stream_id": "0", "roi_count": 1, "roi": [
            {"roi_id": "a", "left": 10, "top": 20, "width": 30, "height": 40}]}})
        print(f"REST server on 127.0.0.1:{app.port}. Try:\n"
              f"  curl -s {base}/stream/get-stream-info\n"
              f"  curl -s -XPOST {base}/stream/add -d '{add}'\n"
              f"  curl -s -XPOST {base}/roi/update -d '{roi}'\n"
              f"  curl -s -XPOST {base}/stream/remove -d '{add.replace('camera_add', 'camera_remove')}'\n"
              "Ctrl-C ends it.", flush=True)
        app.loop = GLib.MainLoop()
        bus = app.pipeline.get_bus()
        bus.add_signal_watch()
        bus.connect("message", lambda _bus, msg: app.handle_message(msg))
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, app.loop.quit)
        app.loop.run()
        bus.remove_signal_watch()
        rc = 1 if app.failed else 0

    app.pipeline.set_state(Gst.State.NULL)
    return rc


if __name__ == "__main__":
    sys.exit(main())
