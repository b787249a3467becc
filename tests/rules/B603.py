# B603: subprocess without a shell
import subprocess  # expect: B404
import subprocess as sp  # expect: B404

subprocess.run([program, arg])  # expect: B603
sp.Popen(["/usr/bin/git", "pull"])  # expect: B603
run = subprocess.check_call
run([program])  # expect: B603
subprocess.getoutput("/bin/date")  # expect: B605
subprocess.list2cmdline(args)
