# B602: subprocess with shell=True (a literal command: low)
import subprocess  # expect: B404
from subprocess import Popen  # expect: B404

subprocess.call("ls " + path, shell=True)  # expect: B602(high/high)
subprocess.run(cmd, shell=1)  # expect: B602(high/high)
Popen(f"ls {path}", shell=True)  # expect: B602(high/high)
subprocess.check_output(  # expect: B602(high/high)
    cmd,
    shell=True,
)
subprocess.call("/bin/ls -l", shell=True)  # expect: B602(low/high)
subprocess.call(cmd, shell=False)  # expect: B603
subprocess.call(cmd, shell=0)  # expect: B603
subprocess.call(cmd, shell=None)  # expect: B603
subprocess.call(cmd, shell=[])  # expect: B603
