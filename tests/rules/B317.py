# B317: SAX parsing
import xml.sax  # expect: B406

xml.sax.parse(path, handler)  # expect: B317
xml.sax.parseString(data, handler)  # expect: B317
parser = xml.sax.make_parser()  # expect: B317
xml.sax.handler.ContentHandler()
