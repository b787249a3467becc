# B405: xml.etree imported
import xml.etree.ElementTree  # expect: B405
import xml.etree.cElementTree as ET  # expect: B405
from xml.etree import ElementTree  # expect: B405
from xml.etree.ElementTree import Element  # expect: B405
import xml.etree
from defusedxml import ElementTree as SafeET
