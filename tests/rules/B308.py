# B308: django's mark_safe (B703 judges its argument)
from django.utils.safestring import mark_safe

mark_safe(html)  # expect: B308, B703
mark_safe("<b>static</b>")  # expect: B308
escape(html)
