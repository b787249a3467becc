# B302: marshal deserializing
import marshal

marshal.loads(blob)  # expect: B302
marshal.load(fh)  # expect: B302
marshal.dumps(code)
