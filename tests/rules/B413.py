# B413: pyCrypto imported
from Crypto.Cipher import AES  # expect: B413
import Crypto.PublicKey.RSA  # expect: B413
from Crypto import Random  # expect: B413
from Cryptodome.Cipher import AES as AES2
import cryptography
