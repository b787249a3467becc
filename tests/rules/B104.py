# B104: binding to all interfaces
app.run(host="0.0.0.0")  # expect: B104
server = ("0.0.0.0", 8080)  # expect: B104
sock.bind(server)
sock.bind(("127.0.0.1", 80))
address = "0.0.0.0:80"
sock.bind(("", 8080))  # expect: B104
httpd = HTTPServer(("", 8000), Handler)  # expect: B104
make_server("", 8000, app)  # expect: B104
sock.bind(("localhost", 8080))
name = ""
HOSTS = ["0.0.0.0", "127.0.0.1"]
if host == "0.0.0.0":
    pass
listen(host="0.0.0.0" if public else "127.0.0.1")  # expect: B104
