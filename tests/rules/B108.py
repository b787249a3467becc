# B108: hard-coded temporary directories
import tempfile

open("/tmp/report.txt", "w")  # expect: B108
cache = "/var/tmp/cache"  # expect: B108
shm = "/dev/shm/x"  # expect: B108
fd, path = tempfile.mkstemp()
doc = "files go to tmp"
def tmpdir(base="/tmp/app"):  # expect: B108
    return "/tmp/out"  # expect: B108
path = os.path.join("/tmp", name)  # expect: B108
log = "/tmp/%s.log" % name  # expect: B108
run_tool(["cp", src, "/tmp/dst"])  # expect: B108
MOUNTS = ("/", "/tmp", "/home")
if path.rstrip("/") == "/tmp":
    pass
CASES = [("/tmp/a", 1), ("/var/tmp/b", 2)]
check(CASES)
parametrize("mounts", [("/", "/tmp")])
