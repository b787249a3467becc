# B301: pickle and friends deserializing
import pickle  # expect: B403
import shelve  # expect: B403
from pickle import loads as unpickle  # expect: B403

pickle.loads(request.body)  # expect: B301
pickle.load(fh)  # expect: B301
unpickle(blob)  # expect: B301
shelve.open("db")  # expect: B301
pickle.dumps(obj)
json.loads(request.body)
