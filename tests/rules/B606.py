# B606: functions that start a process without a shell
import os

os.execvp(program, args)  # expect: B606
os.spawnl(os.P_WAIT, path, arg)  # expect: B606
os.startfile(path)  # expect: B606
os.execl("/bin/ls", "ls")  # expect: B606
os.execlp("ls", "ls")  # expect: B606, B607
os.kill(pid, 9)
