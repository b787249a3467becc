# B601: commands run over SSH with paramiko
import paramiko

client = paramiko.SSHClient()
client.exec_command("ls " + path)  # expect: B601
stdin, stdout, stderr = client.exec_command(cmd)  # expect: B601
client.invoke_shell()
