import subprocess
import os
import pickle

import paramiko
from flask import Flask

subprocess.Popen("ls", shell=True)
subprocess.run("ls", shell=True)
os.system("ls")
app = Flask(__name__)
app.run(debug=True)
assert app
pickle.loads(b"")
client = paramiko.SSHClient()
client.exec_command("ls")
