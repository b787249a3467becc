# B110: try, except, pass (bare or Exception; typed handlers are not judged by default)
try:
    work()
except:  # expect: B110
    pass
try:
    work()
except Exception:  # expect: B110
    pass
try:
    work()
except Exception as exc:  # expect: B110
    pass
try:
    work()
except (Exception):  # expect: B110
    # nothing to do
    pass
try:
    work()
except ValueError:
    pass
try:
    work()
except Exception:
    log()
try:
    work()
except Exception:
    log()
    pass
