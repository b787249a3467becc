# B503: broken SSL/TLS versions as defaults, reported at the def
import ssl
from OpenSSL import SSL


def open_ssl_socket(version=SSL.SSLv2_METHOD):  # expect: B503
    pass


def open_tls(host, port=443, version=ssl.PROTOCOL_TLSv1):  # expect: B503
    pass


def good(version=ssl.PROTOCOL_TLS_CLIENT):
    pass


def kwonly(*, version=ssl.PROTOCOL_SSLv3):  # expect: B503
    pass
