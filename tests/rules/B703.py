# B703: django mark_safe on text that is not built from literals
from django.utils import safestring
from django.utils.safestring import mark_safe

safestring.mark_safe(user_html)  # expect: B703, B308
mark_safe(f"<b>{name}</b>")  # expect: B703, B308
safestring.SafeString(text)  # expect: B703
mark_safe("<b>static</b>")  # expect: B308
safestring.SafeString("<b>static</b>")


def render(name, request):
    html = "<b>fixed</b>"
    mark_safe(html)  # expect: B308
    mark_safe(name)  # expect: B703, B308
    mark_safe("<b>{}</b>".format(html))  # expect: B308
    mark_safe("<b>%s</b>" % name)  # expect: B703, B308
    mark_safe("<i>%s</i>" % (html,))  # expect: B308
    label = request.GET["label"]
    mark_safe(label)  # expect: B703, B308
    if request.user:
        title = "<h1>a</h1>"
    else:
        title = "<h1>b</h1>"
    mark_safe(title)  # expect: B308
    title += request.GET["x"]
    mark_safe(title)  # expect: B703, B308
    with open("f") as part:
        mark_safe(part)  # expect: B703, B308
    part2 = "<p>"
    with open("f") as part2:
        pass
    mark_safe(part2)  # expect: B703, B308
    for item in items:
        mark_safe(item)  # expect: B703, B308
    a, b = "<p>", get()
    mark_safe(a)  # expect: B308
    mark_safe(b)  # expect: B703, B308
    later = "<p>"
    mark_safe(never_set)  # expect: B703, B308
    if request.user:
        body = "<p>a</p>"
    else:
        body = request.GET["body"]
    mark_safe(body)  # expect: B703, B308
    try:
        note = "<p>ok</p>"
    except ValueError as note:
        pass
    mark_safe(note)  # expect: B703, B308


class Widget:
    template = "<div></div>"

    def render(self):
        return mark_safe(self.template)  # expect: B703, B308


banner = "<b>hi</b>"
mark_safe(banner)  # expect: B308
