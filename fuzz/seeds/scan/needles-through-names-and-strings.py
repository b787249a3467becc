# A full scan parses only what holds some rule's needles: these are
# found through names bound far away, joined strings, escapes, f-strings.
from os import system as run
import subprocess as sp
call = sp.call
later = call


class Filler:
    def a(self):
        return [x for x in range(10) if x % 2]

    def b(self, d):
        return {"k": d, "v": (4, 5)}


def shell(cmd):
    run(cmd)
    later(cmd, shell=True)
    getattr(sp, "Popen")(cmd, shell=True)


def paths(cur, uid, password="hunter2"):
    open("/t" "mp/x", "w")
    open("\x2ftmp/y", "w")
    cur.execute(f"SEL{''}ECT * FROM t WHERE id = {uid}")
    return {"db_passwd": "x"}


def handlers():
    try:
        pass
    except:
        pass
    try:
        pass
    except Exception:
        continue_ = 1
