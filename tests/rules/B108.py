# B108: hard-coded temporary directories
import tempfile

open("/tmp/report.txt", "w")  # expect: B108
cache = "/var/tmp/cache"  # expect: B108
shm = "/dev/shm/x"  # expect: B108
fd, path = tempfile.mkstemp()
doc = "files go to tmp"
