# B323: unverified SSL context
import ssl

ctx = ssl._create_unverified_context()  # expect: B323
ctx = ssl.create_default_context()
