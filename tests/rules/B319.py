# B319: pulldom parsing
from xml.dom import pulldom  # expect: B409

events = pulldom.parse(path)  # expect: B319
events = pulldom.parseString(data)  # expect: B319
