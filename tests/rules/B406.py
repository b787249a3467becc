# B406: xml.sax imported
import xml.sax  # expect: B406
from xml.sax import make_parser  # expect: B406
from xml import sax  # expect: B406
import xml.saxutils_extra
