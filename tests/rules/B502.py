# B502: broken SSL/TLS protocol versions
import ssl
from OpenSSL import SSL

ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_SSLv3)  # expect: B502(high/high)
ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLSv1_1)  # expect: B502(high/high)
SSL.Context(method=SSL.SSLv2_METHOD)  # expect: B502(high/high)
make_context(method=SSL.TLSv1_METHOD)  # expect: B502(medium/medium)
herp_derp(ssl_version=ssl.PROTOCOL_SSLv2)  # expect: B502(medium/medium)
ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLS_CLIENT)
ssl.wrap_socket(sock, method=ssl.PROTOCOL_SSLv2)  # expect: B504
SSL.Context(method=SSL.TLS_METHOD)
make_context(method="SSLv2_METHOD")
