# B611: django RawSQL with text that is not literal
from django.db.models.expressions import RawSQL

User.objects.annotate(val=RawSQL(raw, []))  # expect: B611
User.objects.annotate(val=RawSQL("select col from t where id = %s" % uid, []))  # expect: B611, B608
User.objects.annotate(val=RawSQL(sql=raw, params=[]))  # expect: B611
User.objects.annotate(val=RawSQL("select col from t where id = %s", [uid]))
