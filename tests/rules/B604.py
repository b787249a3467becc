# B604: any other function called with shell=True
import subprocess  # expect: B404

utils.execute(cmd, shell=True)  # expect: B604
run_command(cmd, shell=use_shell)  # expect: B604
utils.execute(cmd, shell=False)
subprocess.call(cmd, shell=True)  # expect: B602
