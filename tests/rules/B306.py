# B306: tempfile.mktemp
import tempfile
from tempfile import mktemp

path = tempfile.mktemp()  # expect: B306
other = mktemp(suffix=".txt")  # expect: B306
fd, safe = tempfile.mkstemp()
