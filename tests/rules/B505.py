# B505: weak key sizes (RSA/DSA below 1024: high, below 2048: medium; EC below 224 bits: medium)
from cryptography.hazmat import backends
from cryptography.hazmat.primitives.asymmetric import dsa, ec, rsa
from Crypto.PublicKey import RSA as pycrypto_rsa  # expect: B413
from Cryptodome.PublicKey import DSA

rsa.generate_private_key(public_exponent=65537, key_size=1024, backend=backends.default_backend())  # expect: B505(medium/high)
rsa.generate_private_key(65537, 512, backends.default_backend())  # expect: B505(high/high)
dsa.generate_private_key(key_size=2048, backend=backends.default_backend())
dsa.generate_private_key(1024, backends.default_backend())  # expect: B505(medium/high)
ec.generate_private_key(curve=ec.SECP192R1, backend=backends.default_backend())  # expect: B505(medium/high)
ec.generate_private_key(ec.SECT163K1(), backends.default_backend())  # expect: B505(medium/high)
ec.generate_private_key(ec.SECP256R1(), backends.default_backend())
pycrypto_rsa.generate(bits=1024)  # expect: B505(medium/high)
DSA.generate(512)  # expect: B505(high/high)
pycrypto_rsa.generate(4096)
rsa.generate_private_key(65537, key_size, backends.default_backend())
rsa.generate_private_key(public_exponent=65537, key_size=4096)
