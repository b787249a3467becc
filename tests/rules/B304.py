# B304: broken ciphers
from Crypto.Cipher import DES, AES  # expect: B413
from Cryptodome.Cipher import ARC4
from cryptography.hazmat.primitives.ciphers import algorithms

DES.new(key)  # expect: B304
ARC4.new(key)  # expect: B304
algorithms.Blowfish(key)  # expect: B304
algorithms.TripleDES(key)  # expect: B304
algorithms.AES(key)
AES.new(key, AES.MODE_GCM)
