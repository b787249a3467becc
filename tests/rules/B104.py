# B104: binding to all interfaces
app.run(host="0.0.0.0")  # expect: B104
server = ("0.0.0.0", 8080)  # expect: B104
sock.bind(("127.0.0.1", 80))
address = "0.0.0.0:80"
