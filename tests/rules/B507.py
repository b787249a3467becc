# B507: paramiko accepting any host key
import paramiko
from paramiko import client

ssh = paramiko.SSHClient()
ssh.set_missing_host_key_policy(paramiko.AutoAddPolicy())  # expect: B507
ssh.set_missing_host_key_policy(client.WarningPolicy)  # expect: B507
ssh.set_missing_host_key_policy(paramiko.RejectPolicy())
ssh.load_system_host_keys()
