# B303: weak hashes from pycrypto, pycryptodome and cryptography (hashlib is B324)
from Crypto.Hash import MD5  # expect: B413
from Cryptodome.Hash import SHA
from cryptography.hazmat.primitives import hashes
import hashlib

MD5.new(data)  # expect: B303
SHA.new(data)  # expect: B303
hashes.MD5()  # expect: B303
hashes.SHA1()  # expect: B303
hashes.SHA256()
hashlib.sha256(data)
