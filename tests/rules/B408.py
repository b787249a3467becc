# B408: xml.dom.minidom imported
import xml.dom.minidom  # expect: B408
from xml.dom import minidom  # expect: B408
from xml.dom.minidom import parse, parseString  # expect: B408
from xml.dom import Node
