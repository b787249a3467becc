# B504: ssl.wrap_socket without a protocol version
import ssl

ssl.wrap_socket(sock)  # expect: B504
ssl.wrap_socket(sock, ssl_version=ssl.PROTOCOL_TLSv1_2)
ctx = ssl.create_default_context()
ctx.wrap_socket(sock, server_hostname=host)
