# B402: ftplib imported
import ftplib  # expect: B402
from ftplib import FTP_TLS  # expect: B402
import importlib
importlib.import_module("ftplib")  # expect: B402
