# B415: pyghmi (IPMI) imported
import pyghmi  # expect: B415
from pyghmi.ipmi import command  # expect: B415
import pyghmi_tools
