# B509: SNMPv3 without both keys
from pysnmp.hlapi import UsmUserData

insecure = UsmUserData("securityName")  # expect: B509
auth_only = UsmUserData("securityName", "authName")  # expect: B509
secure = UsmUserData("securityName", "authName", "privName")
