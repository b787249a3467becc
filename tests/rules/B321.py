# B321: FTP client (FTP_TLS encrypts, and is not reported)
import ftplib  # expect: B402
from ftplib import FTP  # expect: B402

ftp = ftplib.FTP(host)  # expect: B321
ftp = FTP(host)  # expect: B321
ftps = ftplib.FTP_TLS(host)
