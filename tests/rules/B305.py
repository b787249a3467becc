# B305: ECB mode
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

Cipher(algorithms.AES(key), modes.ECB())  # expect: B305
Cipher(algorithms.AES(key), modes.GCM(iv))
