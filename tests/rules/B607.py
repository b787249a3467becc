# B607: a program named without its path
import os
import subprocess  # expect: B404

subprocess.call(["git", "pull"])  # expect: B603, B607
subprocess.Popen("ls -l", shell=True)  # expect: B602, B607
os.system("make")  # expect: B605, B607
subprocess.call(["/usr/bin/git", "pull"])  # expect: B603
subprocess.call(["./build.sh"])  # expect: B603
subprocess.call([r"C:\Tools\git.exe", "pull"])  # expect: B603
subprocess.call([program, "pull"])  # expect: B603
