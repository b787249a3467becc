# B605: functions that always start a shell (a literal command: low)
import os
import commands

os.system("rm " + path)  # expect: B605(high/high)
os.popen(cmd)  # expect: B605(high/high)
commands.getoutput(cmd)  # expect: B605(high/high)
os.system("/bin/true")  # expect: B605(low/high)
os.system("ls")  # expect: B605(low/high), B607
os.getcwd()
