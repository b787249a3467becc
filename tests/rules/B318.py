# B318: minidom parsing
from xml.dom import minidom  # expect: B408

minidom.parse(path)  # expect: B318
minidom.parseString(data)  # expect: B318
minidom.Document()
