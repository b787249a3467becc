# B610: django QuerySet.extra with text that is not literal
from django.contrib.auth.models import User

User.objects.extra(where=["name = '%s'" % name])  # expect: B610
User.objects.extra(tables=[tables_str])  # expect: B610
User.objects.extra(select={"val": sql})  # expect: B610
User.objects.all().extra(select=query)  # expect: B610
User.objects.extra(None, where_clauses)  # expect: B610
User.objects.extra(where=["name = %s"], params=[name])
User.objects.extra(select={"is_recent": "pub_date > '2006-01-01'"})
User.objects.extra(tables=["auth_group"])
User.objects.filter(name=name)
