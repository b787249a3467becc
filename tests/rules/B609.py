# B609: wildcards in commands that chown, chmod, tar or rsync
import os
import subprocess  # expect: B404

os.system("tar cf backup.tar *")  # expect: B609, B605, B607
subprocess.Popen("/bin/chown root:root *", shell=True)  # expect: B609, B602
subprocess.Popen(["/bin/chmod", "700", "*"], shell=True)  # expect: B609, B602
os.system("/bin/tar cf backup.tar files/")  # expect: B605
subprocess.Popen("/bin/chmod 700 *", shell=False)  # expect: B603
subprocess.Popen("/bin/ls *", shell=True)  # expect: B602
