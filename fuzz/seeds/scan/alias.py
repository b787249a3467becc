import subprocess as sp
from os import system as s
run = sp.Popen
run(x, shell=True)
s(f"rm {x}")
try:
    pass
except:
    pass
q = "SELECT * FROM t WHERE a=" + b  # nosec B608, B999
