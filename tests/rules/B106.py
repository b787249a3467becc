# B106: string literals passed as password-like keyword arguments
connect(user="app", password="hunter2")  # expect: B106
client.login(  # expect: B106
    username="app", token="abc")
connect(user="app", password=secret)
connect(user="app", password=None)
connect(user="app", password=f"{prefix}x")
class Config(Base, password="x"):
    pass
