# B702: Mako templates
from mako.template import Template
import mako

Template("hello ${name}")  # expect: B702
mako.template.Template(text)  # expect: B702
string.Template("$x")
