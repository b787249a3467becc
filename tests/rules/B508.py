# B508: SNMP v1 and v2c
from pysnmp.hlapi import CommunityData

CommunityData("public", mpModel=0)  # expect: B508
CommunityData("public", mpModel=1)  # expect: B508
CommunityData("public", mpModel=2)
CommunityData("public")
