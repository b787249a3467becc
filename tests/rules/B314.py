# B314: ElementTree parsing
import xml.etree.ElementTree as ET  # expect: B405
from xml.etree.ElementTree import fromstring  # expect: B405

ET.parse(path)  # expect: B314
ET.iterparse(path)  # expect: B314
fromstring(data)  # expect: B314
ET.XMLParser()  # expect: B314
ET.tostring(tree)
ET.Element("a")
