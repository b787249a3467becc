# B704: markupsafe.Markup on text that is not a constant
from markupsafe import Markup
import flask

Markup(f"<b>{name}</b>")  # expect: B704
Markup(user_html)  # expect: B704
flask.Markup(text)  # expect: B704
Markup("<b>static</b>")
Markup()
Markup("<b>{}</b>").format(name)
