# B103: chmod with permissive bits (world-writable: high; group-writable, or executable by group or world: medium)
import os
import stat
from pathlib import Path

os.chmod("/etc/app.conf", 0o777)  # expect: B103(high/high)
os.chmod(path, 0o666)  # expect: B103(high/high)
os.chmod(path, 0x1ff)  # expect: B103(high/high)
os.chmod(path, 511)  # expect: B103(high/high)
os.chmod(path, 0o750)  # expect: B103(medium/high)
os.chmod(path, 0o760)  # expect: B103(medium/high)
os.chmod(path, 0o701)  # expect: B103(medium/high)
os.fchmod(fd, 0o0_775)  # expect: B103(medium/high)
Path(p).chmod(path, 0o777)  # expect: B103(high/high)
os.chmod(path, 0o700)
os.chmod(path, 0o644)
os.chmod(path, 0o600)
os.chmod(path, mode)
os.chmod(path, stat.S_IRWXU)
os.chmod(path, 0o777, follow_symlinks=False)  # expect: B103(high/high)
os.chmod(path)
os.chmod(path, 0o777, extra)
Path(p).chmod(0o777)
chmodder.run(path, 0o777)
