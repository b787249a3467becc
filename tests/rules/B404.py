# B404: subprocess imported
import subprocess  # expect: B404
from subprocess import run  # expect: B404
import subprocess as sp  # expect: B404
import subprocess_tee
