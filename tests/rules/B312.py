# B312: telnet client
import telnetlib  # expect: B401

tn = telnetlib.Telnet(host)  # expect: B312
telnetlib.TELNET_PORT
