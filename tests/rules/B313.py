# B313: cElementTree parsing
import xml.etree.cElementTree as CET  # expect: B405

CET.parse(path)  # expect: B313
CET.fromstring(data)  # expect: B313
CET.tostring(tree)
