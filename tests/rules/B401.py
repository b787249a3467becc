# B401: telnetlib imported
import telnetlib  # expect: B401
from telnetlib import Telnet  # expect: B401
mod = __import__("telnetlib")  # expect: B401
import telnetlib_helpers
import os, telnetlib  # expect: B401
