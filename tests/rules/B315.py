# B315: expatreader
import xml.sax.expatreader  # expect: B406

parser = xml.sax.expatreader.create_parser()  # expect: B315
