# B701: jinja2 without autoescape
import jinja2
from jinja2 import Environment, select_autoescape

jinja2.Environment(loader=loader)  # expect: B701(high/high)
Environment(loader=loader, autoescape=False)  # expect: B701(high/high)
Environment(loader=loader, autoescape=flag)  # expect: B701(high/medium)
Environment(loader=loader, autoescape=True)
Environment(loader=loader, autoescape=select_autoescape(["html"]))
