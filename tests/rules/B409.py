# B409: xml.dom.pulldom imported
import xml.dom.pulldom  # expect: B409
from xml.dom import pulldom  # expect: B409
