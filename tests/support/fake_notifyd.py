#!/usr/bin/python3
# Minimal org.freedesktop.Notifications server: logs each Notify call as a JSON line.
# From the project's shared test helpers, plus: "received" (Unix time of the call) in
# each line, for scripts/bench-nudge-latency; and --hang, a server that owns the name
# but never answers (the timeout tests).
import json, sys, time, dbus, dbus.service, dbus.mainloop.glib
from gi.repository import GLib
args = [a for a in sys.argv[1:] if not a.startswith("--")]
HANG = "--hang" in sys.argv
LOG = args[0] if args else "notify.jsonl"
IFACE = "org.freedesktop.Notifications"
class Srv(dbus.service.Object):
    nid = 0
    @dbus.service.method(IFACE, in_signature="susssasa{sv}i", out_signature="u")
    def Notify(self, app, replaces, icon, summary, body, actions, hints, timeout):
        received = time.time()
        if HANG: time.sleep(3600)
        Srv.nid += 1
        with open(LOG, "a") as f:
            f.write(json.dumps({"id": Srv.nid, "app": str(app), "summary": str(summary), "body": str(body),
                                "urgency": int(hints["urgency"]) if "urgency" in hints else None,
                                "timeout": int(timeout), "icon": str(icon),
                                "actions": [str(a) for a in actions], "received": received}) + "\n")
        return dbus.UInt32(Srv.nid)
    @dbus.service.method(IFACE, in_signature="", out_signature="as")
    def GetCapabilities(self): return ["body", "actions"]
    @dbus.service.method(IFACE, in_signature="", out_signature="ssss")
    def GetServerInformation(self):
        if HANG: time.sleep(3600)
        return ("fake-notifyd", "test", "0.1", "1.2")
    @dbus.service.method(IFACE, in_signature="u", out_signature="")
    def CloseNotification(self, nid): pass
dbus.mainloop.glib.DBusGMainLoop(set_as_default=True)
bus = dbus.SessionBus()
name = dbus.service.BusName(IFACE, bus, do_not_queue=True)
Srv(bus, "/org/freedesktop/Notifications")
print("ready", flush=True)
GLib.MainLoop().run()
