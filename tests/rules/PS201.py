# PS201: private key blocks (in any text file; here in a Python string)
KEY = """-----BEGIN RSA PRIVATE KEY-----  # expect: PS201
MIIEow...
-----END RSA PRIVATE KEY-----
"""
OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----"  # expect: PS201
PUBLIC = "-----BEGIN PUBLIC KEY-----"
CERT = "-----BEGIN CERTIFICATE-----"
