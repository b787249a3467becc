# B316: expatbuilder
from xml.dom import expatbuilder  # expect: B407

expatbuilder.parse(path)  # expect: B316
expatbuilder.parseString(data)  # expect: B316
