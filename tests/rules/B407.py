# B407: xml.dom.expatbuilder imported
import xml.dom.expatbuilder  # expect: B407
from xml.dom import expatbuilder  # expect: B407
from xml.dom import Node
